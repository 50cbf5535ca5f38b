import { writeFileSync } from 'node:fs';
import { UsageError } from './args';
import { checkCommand } from './commands/check';
import { debugCommand } from './commands/debug';
import { fmtCommand } from './commands/fmt';
import { runCommand } from './commands/run';
import { vizCommand } from './commands/viz';
import { FileReadError, Io, readUtf8 } from './io';

export const USAGE = `usage: canopy <command> [options]

commands:
  check FILE...                      validate tree files (exit 2 on errors)
  fmt FILE [--write]                 print canonical text (or rewrite the file)
  run FILE [--tree NAME] [--ticks N | --until-done] [--tick-ms MS]
           [--set KEY=JSON]... [--actions MODULE] [--format json|pretty]
                                     run a tree embedded, on a virtual clock
  debug FILE [--tree NAME] [--set KEY=JSON]... [--actions MODULE] [--tick-ms MS]
             [--commands FILE]
                                     step through ticks with breakpoints and watches
                                     (commands from stdin, or from FILE; 'help' lists them)
  viz FILE [--tree NAME] [--format dot|svg|png] [--out PATH]
                                     draw the tree (format from --out's extension, else svg)
`;

/** Exit codes: 0 ok, 1 the tree ran but something failed at run time, 2 bad input or usage. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return checkCommand(rest, io);
      case 'fmt':
        return fmtCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      case 'debug':
        return await debugCommand(rest, io);
      case 'viz':
        return await vizCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`canopy: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof FileReadError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    outBytes: (data) => process.stdout.write(data),
    err: (text) => process.stderr.write(text),
    readFile: readUtf8,
    writeFile: (path, data) => writeFileSync(path, data),
    color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'],
    tty: Boolean(process.stdout.isTTY),
    input: process.stdin,
  };
}
