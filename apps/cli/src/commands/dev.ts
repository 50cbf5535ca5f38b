import { compile } from '@canopy/dsl';
import { ExecutionModeSchema, type Execution } from '@canopy/contracts';
import { parseArgs, positiveInt, rejectUnknown, single, UsageError } from '../args';
import {
  GatewayClient,
  GatewayError,
  gatewayUrl,
  GatewayUnreachable,
  RELOAD_POLICIES,
  type ReloadPolicy,
  type ReloadReply,
} from '../gateway/client';
import { showLive } from '../gateway/live';
import { compileErrorLines, reportGatewayError } from '../gateway/report';
import { FileReadError, Io, readSource, stopSignal } from '../io';
import { reportErrors } from '../load';
import { paint } from '../terminal';
import { saveLoop } from '../watch';
import { eventsFlag, fileField, formatFlag } from './gateway-args';

const OPTIONS = ['gateway', 'id', 'mode', 'interval-ms', 'policy', 'events', 'format', 'keep'];
/** A dev loop wants to see the tree run: an interval slow enough to read. */
const DEFAULT_INTERVAL_MS = 1000;

/**
 * `canopy dev FILE`: registers the file's tree and creates an execution of it (or attaches to
 * `--id`), shows its live events, and hot-reloads it (`PUT /executions/:id/tree`) at each save of
 * the file. A save that does not compile prints `file:line:column: message` and changes nothing.
 * Ctrl-C stops the execution it created (not one it attached to, nor with `--keep`) and exits 0.
 */
export async function devCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set(['keep']));
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length !== 1) throw new UsageError('dev takes exactly one FILE');
  const file = args.positionals[0];
  const client = new GatewayClient(gatewayUrl(single(args, 'gateway')));
  const mode = ExecutionModeSchema.safeParse(single(args, 'mode') ?? 'interval');
  if (!mode.success)
    throw new UsageError(`--mode must be one of ${ExecutionModeSchema.options.join(', ')}`);
  if (args.flags.has('interval-ms') && mode.data !== 'interval')
    throw new UsageError('--interval-ms goes with --mode interval');
  const intervalMs = positiveInt(args, 'interval-ms', DEFAULT_INTERVAL_MS);
  const policy = single(args, 'policy');
  if (policy !== undefined && !(RELOAD_POLICIES as readonly string[]).includes(policy)) {
    throw new UsageError(`--policy must be one of ${RELOAD_POLICIES.join(', ')}`);
  }
  const live = { format: formatFlag(args), events: eventsFlag(args), untilTerminal: false };
  const id = single(args, 'id');

  const source = readSource(io, file);
  if (!checked(io, file, source)) return 2;

  const note = (text: string) => io.out(`${paint(io.color, 'magenta', text)}\n`);
  let execution: Execution | undefined;
  let created = false;
  try {
    if (id !== undefined) execution = await existing(client, id);
    if (execution) {
      note(
        `attached to ${execution.id}: tree ${execution.tree} v${execution.version}, ${execution.state}; saves of ${file} reload it`,
      );
    } else {
      const tree = await client.registerTree(source, fileField(file));
      note(`registered ${tree.name} v${tree.version}`);
      execution = await client.createExecution({
        tree: tree.name,
        version: tree.version,
        id,
        mode: mode.data,
        intervalMs: mode.data === 'interval' ? intervalMs : undefined,
      });
      created = true;
      const how = mode.data === 'interval' ? `every ${intervalMs} ms` : mode.data;
      note(
        `created execution ${execution.id} (${how}); saves of ${file} reload it, Ctrl-C ${args.flags.has('keep') ? 'leaves it running' : 'stops it'}`,
      );
    }
  } catch (error) {
    if (error instanceof GatewayError || error instanceof GatewayUnreachable)
      return reportGatewayError(io, error);
    throw error;
  }

  const execId = execution.id;
  const stop = stopSignal(io);
  // Ends both the event stream and the watch: on Ctrl-C, or when the stream fails for good.
  const both = new AbortController();
  const relay = () => both.abort();
  stop.signal.addEventListener('abort', relay);
  let code = 0;
  try {
    const events = showLive(io, client, execId, { ...live, signal: both.signal })
      .catch((error: unknown) => {
        if (!(error instanceof GatewayError || error instanceof GatewayUnreachable)) throw error;
        code = reportGatewayError(io, error);
      })
      .finally(relay);
    const saves = saveLoop({ files: [file], signal: both.signal, initial: false }, async () => {
      await reload(io, client, execId, file, policy as ReloadPolicy | undefined, note);
    });
    await Promise.all([events, saves]);
  } finally {
    stop.signal.removeEventListener('abort', relay);
    stop.dispose();
  }
  if (created && !args.flags.has('keep')) {
    try {
      await client.stopExecution(execId);
      note(`stopped execution ${execId}`);
    } catch (error) {
      if (!(error instanceof GatewayError || error instanceof GatewayUnreachable)) throw error;
      io.err(`canopy: could not stop ${execId}: ${error.message}\n`);
    }
  }
  return code;
}

/** The execution `--id` names, or undefined when there is none yet (dev creates it). */
async function existing(client: GatewayClient, id: string): Promise<Execution | undefined> {
  try {
    return await client.getExecution(id);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'EXECUTION_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * The local check before anything is sent: instant positions for what the file alone shows.
 * Subtrees may name trees registered on the gateway, which only the gateway knows, so those
 * are left to it.
 */
function checked(io: Io, file: string, source: string): boolean {
  const { errors } = compile(source, { file, lenientSubtrees: true });
  reportErrors(io, errors);
  return errors.length === 0;
}

async function reload(
  io: Io,
  client: GatewayClient,
  execId: string,
  file: string,
  policy: ReloadPolicy | undefined,
  note: (text: string) => void,
): Promise<void> {
  const unchanged = () =>
    io.err(paint(io.color, 'red', `canopy: ${file} not reloaded; ${execId} runs on unchanged\n`));
  let source: string;
  try {
    source = readSource(io, file);
  } catch (error) {
    // Mid-way through an editor's replace, or deleted: the next save brings it back.
    if (!(error instanceof FileReadError)) throw error;
    io.err(`${error.message}\n`);
    return;
  }
  if (!checked(io, file, source)) return unchanged();
  let reply: ReloadReply;
  try {
    reply = await client.reloadTree(execId, {
      source,
      file: fileField(file),
      ...(policy ? { policy } : {}),
    });
  } catch (error) {
    if (error instanceof GatewayUnreachable) {
      io.err(`canopy: ${error.message}\n`);
      return unchanged();
    }
    if (!(error instanceof GatewayError)) throw error;
    const positions = compileErrorLines(error);
    if (positions.length > 0) for (const line of positions) io.err(`${line}\n`);
    else if (error.status === 404 && error.code === 'NOT_FOUND') {
      io.err(
        `canopy: this gateway has no hot reload (PUT /executions/:id/tree is 404 NOT_FOUND)\n`,
      );
    } else io.err(`canopy: reload: ${error.status} ${error.code ?? ''}: ${error.message}\n`);
    return unchanged();
  }
  note(reloadLine(reply));
}

function reloadLine(r: ReloadReply): string {
  const parts = [`↻ reloaded v${r.fromVersion ?? '?'} → v${r.toVersion ?? '?'}`];
  if (r.policy)
    parts.push(`(${r.policy}${r.pending ? ', waiting for the current run to finish' : ''})`);
  const counts = [
    r.added ? `+${r.added.length} added` : '',
    r.removed ? `-${r.removed.length} removed` : '',
    r.kept ? `${r.kept.length} kept` : '',
  ].filter(Boolean);
  if (counts.length > 0) parts.push(counts.join(', '));
  if (r.droppedBreakpoints && r.droppedBreakpoints.length > 0) {
    parts.push(`${r.droppedBreakpoints.length} breakpoint(s) on removed nodes dropped`);
  }
  return parts.join(' ');
}
