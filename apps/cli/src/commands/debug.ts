import { createInterface } from 'node:readline';
import { parseArgs, positiveInt, rejectUnknown, single, UsageError } from '../args';
import { DebugSession } from '../debug/session';
import { embed, parseSets } from '../embedded';
import { Io, readSource } from '../io';

const OPTIONS = ['tree', 'set', 'actions', 'mcp-servers', 'tick-ms', 'commands'];
const PROMPT = '(canopy) ';

/**
 * `canopy debug FILE`: a command loop on the tree's debugger. Exit 0, or 1 when a command failed
 * and nobody was there to see it (commands from a file or a pipe); 2 for bad usage or a bad file.
 */
export async function debugCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set());
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length !== 1) throw new UsageError('debug takes exactly one FILE');
  const tickMs = positiveInt(args, 'tick-ms', 100, 0);
  const initial = parseSets(args.flags.get('set') ?? []);
  const commandsFile = single(args, 'commands');
  // Read before building: a missing script is bad usage, not something to find after setup.
  const script = commandsFile === undefined ? undefined : readSource(io, commandsFile);
  const input = io.input;
  if (script === undefined && input === undefined)
    throw new UsageError('debug needs --commands FILE here (no stdin)');

  const embedded = await embed(io, args.positionals[0], {
    tree: single(args, 'tree'),
    initial,
    actions: single(args, 'actions'),
    mcpServers: single(args, 'mcp-servers'),
  });
  if (embedded === undefined) return 2;
  const session = new DebugSession(embedded, tickMs, io);
  const terminal = script === undefined && input?.isTTY === true;
  let failed = false;
  try {
    if (script !== undefined) {
      for (const line of script.split(/\r\n|\r|\n/)) {
        failed = !(await echoed(session, io, line)) || failed;
        if (session.done) break;
      }
    } else if (terminal) {
      await prompted(session, input as NodeJS.ReadableStream);
    } else {
      const rl = createInterface({ input: input as NodeJS.ReadableStream, terminal: false });
      for await (const line of rl) {
        failed = !(await echoed(session, io, line)) || failed;
        if (session.done) break;
      }
    }
  } finally {
    session.close();
    await embedded.close();
  }
  return failed && !terminal ? 1 : 0;
}

/** Without a terminal the commands are not on screen: each is shown before its output. */
async function echoed(session: DebugSession, io: Io, line: string): Promise<boolean> {
  const text = line.trim();
  if (text !== '' && !text.startsWith('#')) io.out(`${PROMPT}${text}\n`);
  return session.line(line);
}

async function prompted(session: DebugSession, input: NodeJS.ReadableStream): Promise<void> {
  // Line editing and history need the terminal itself, which only a real stdin/stdout pair has.
  const rl = createInterface({ input, output: process.stdout, terminal: true, prompt: PROMPT });
  // Ctrl-C at the prompt leaves, as end of input (Ctrl-D) does.
  rl.on('SIGINT', () => rl.close());
  rl.prompt();
  for await (const line of rl) {
    await session.line(line);
    if (session.done) break;
    rl.prompt();
  }
  rl.close();
}
