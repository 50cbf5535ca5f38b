import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HelpRequested, UsageError } from './args';
import { checkCommand } from './commands/check';
import { exportCommand, importCommand } from './commands/convert';
import { debugCommand } from './commands/debug';
import { devCommand } from './commands/dev';
import { fmtCommand } from './commands/fmt';
import { keysCommand } from './commands/keys';
import { pushCommand } from './commands/push';
import { runCommand } from './commands/run';
import { tailCommand } from './commands/tail';
import { vizCommand } from './commands/viz';
import { GatewayError, GatewayUnreachable } from './gateway/client';
import { reportGatewayError } from './gateway/report';
import { FileReadError, FileWriteError, Io, readUtf8 } from './io';

export const USAGE = `usage: canopy <command> [options]    (canopy --version; FILE may be - for stdin)

commands:
  check FILE...                      validate tree files (exit 2 on errors)
  fmt FILE [--write]                 print canonical text (or rewrite the file)
  run FILE [--tree NAME] [--ticks N | --until-done] [--tick-ms MS]
           [--set KEY=JSON]... [--event TICK:NAME[=JSON]]... [--actions MODULE]
           [--mcp-servers FILE|JSON] [--format json|pretty] [--watch]
                                     run a tree embedded, on a virtual clock
                                     (--watch: again at each save of FILE or MODULE;
                                     --set KEY=text: a value that is not JSON is a string)
  debug FILE [--tree NAME] [--set KEY=JSON]... [--actions MODULE] [--tick-ms MS]
             [--mcp-servers FILE|JSON] [--commands FILE]
                                     step through ticks with breakpoints and watches
                                     (commands from stdin, or from FILE; 'help' lists them)
  viz FILE [--tree NAME] [--format dot|svg|png] [--out PATH]
                                     draw the tree (format from --out's extension, else svg)
  import FILE [--from btcpp|mdsl] [--out PATH]
                                     a BehaviorTree.CPP XML or mistreevous MDSL file as
                                     Canopy source (format from the .xml/.mdsl extension)
  export FILE --to btcpp [--out PATH]
                                     a Canopy file as BehaviorTree.CPP v4 XML

against a running stack (--gateway URL, else $CANOPY_GATEWAY_URL, else http://127.0.0.1:3000):
  push FILE... [--gateway URL]       register the files' trees; prints name and version
  tail ID [--gateway URL] [--events TYPE,...] [--format json|pretty]
                                     an execution's live events, until it stops or completes
  dev FILE [--gateway URL] [--id ID] [--mode manual|auto|interval|event] [--interval-ms MS]
           [--policy let-finish-then-swap|cancel-and-restart|swap-now] [--keep]
           [--events TYPE,...] [--format json|pretty]
                                     register, run (every 1000 ms by default) and show the
                                     tree's execution, hot-reloading it at each save of FILE
  keys create --role viewer|operator|admin [--teams A,B] [--name TEXT] [--gateway URL]
  keys list [--format json|pretty] [--gateway URL]
  keys revoke ID [--gateway URL]     manage the gateway's API keys (needs an admin key)

every gateway command sends $CANOPY_API_KEY (an API key or a JWT) as its credentials

exit codes: 0 ok; 1 a run-time failure (a tree's runtime errors, an unreachable gateway,
a gateway 5xx); 2 bad usage or input (a file that does not compile, a gateway 4xx)
`;

/**
 * Exit codes: 0 ok, 1 the tree ran but something failed at run time (or the gateway is not
 * reachable, or failed), 2 bad input or usage (the gateway's 4xx included).
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `keys --help` has no option parser in front of it: every command's --help is caught here too.
    if (command !== undefined && (rest[0] === '--help' || rest[0] === '-h')) throw new HelpRequested();
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
      case 'import':
        return importCommand(rest, io);
      case 'export':
        return exportCommand(rest, io);
      case 'push':
        return await pushCommand(rest, io);
      case 'tail':
        return await tailCommand(rest, io);
      case 'dev':
        return await devCommand(rest, io);
      case 'keys':
        return await keysCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-V':
      case 'version':
        io.out(`canopy ${version()}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(USAGE);
      return 0;
    }
    if (error instanceof FileWriteError) {
      io.err(`canopy: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      io.err(`canopy: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof FileReadError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    if (error instanceof GatewayError || error instanceof GatewayUnreachable) {
      return reportGatewayError(io, error);
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

/** The CLI's package version (apps/cli/package.json). */
function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
