import { type ExternalEvent, MemoryBlackboard, TickRecord } from '@canopy/engine';
import { parseArgs, positiveInt, rejectUnknown, single, UsageError } from '../args';
import { embed, EmbedOptions, parseSets } from '../embedded';
import { Io } from '../io';
import { renderTickEvents, renderTree } from '../render';
import { watchRuns } from './run-watch';

const OPTIONS = [
  'tree',
  'ticks',
  'until-done',
  'tick-ms',
  'set',
  'event',
  'actions',
  'mcp-servers',
  'format',
  'watch',
];
/** `--until-done` (the default) stops here so a tree that never finishes still ends. */
export const UNTIL_DONE_LIMIT = 10_000;

export interface RunOptions extends EmbedOptions {
  file: string;
  format: 'json' | 'pretty';
  tickMs: number;
  ticks: number;
  untilDone: boolean;
  /** `--event`: the external events given to each tick. */
  events: Map<number, ExternalEvent[]>;
}

/** How a run ended: `code` is the exit code of a run without `--watch`. */
export interface RunOutcome {
  code: number;
  /** The last tick's number and root status; absent when the file did not compile. */
  tick?: number;
  status?: string;
  /** A save (or Ctrl-C) cut the run short. */
  cancelled?: boolean;
}

export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set(['until-done', 'watch']));
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length !== 1) throw new UsageError('run takes exactly one FILE');
  if (args.flags.has('ticks') && args.flags.has('until-done')) {
    throw new UsageError('--ticks and --until-done exclude each other');
  }
  const format = single(args, 'format') ?? 'pretty';
  if (format !== 'json' && format !== 'pretty')
    throw new UsageError(`--format must be json or pretty, got '${format}'`);
  const tickMs = positiveInt(args, 'tick-ms', 100, 0);
  const options: RunOptions = {
    file: args.positionals[0],
    format,
    tickMs,
    ticks: positiveInt(args, 'ticks', UNTIL_DONE_LIMIT),
    untilDone: !args.flags.has('ticks'),
    initial: parseSets(args.flags.get('set') ?? []),
    events: parseEvents(args.flags.get('event') ?? [], tickMs),
    tree: single(args, 'tree'),
    actions: single(args, 'actions'),
    mcpServers: single(args, 'mcp-servers'),
  };
  if (args.flags.has('watch')) return watchRuns(options, io);
  return (await runOnce(options, io)).code;
}

/** One embedded run of the file; `cancel` stops it between ticks. */
export async function runOnce(
  options: RunOptions,
  io: Io,
  cancel?: AbortSignal,
): Promise<RunOutcome> {
  const embedded = await embed(io, options.file, options);
  if (embedded === undefined) return { code: 2 };
  const { tree, clock, blackboard } = embedded;

  let failed = false;
  let last: TickRecord | undefined;
  try {
    if (options.format === 'pretty') io.out(`blackboard ${JSON.stringify(blackboard.snapshot('exec'))}\n`);
    for (let tick = 1; tick <= options.ticks; tick++) {
      if (cancel?.aborted) break;
      clock.set((tick - 1) * options.tickMs);
      const batch = options.events.get(tick);
      const record = tree.tick(batch === undefined ? undefined : { events: batch });
      last = record;
      failed ||= record.errors.length > 0;
      if (options.format === 'json') io.out(`${JSON.stringify(jsonLine(record, blackboard))}\n`);
      else io.out(prettyTick(record, clock.now(), () => renderTree(tree, io.color)));
      if (options.untilDone && record.status !== 'RUNNING') break;
      // Async actions settle on the event loop between ticks, as they would in a runner; a tick
      // with calls in flight waits for one to settle, at most --tick-ms of real time.
      await embedded.between(options.tickMs);
    }
  } finally {
    tree.halt();
    await embedded.close();
  }
  return {
    code: failed ? 1 : 0,
    tick: last?.tick,
    status: last?.status,
    cancelled: cancel?.aborted,
  };
}

/**
 * `--event TICK:NAME[=JSON]` (repeatable): external events given to tick TICK, in the order
 * written, stamped with that tick's virtual time. A payload that is not JSON is a string.
 */
export function parseEvents(
  values: readonly string[],
  tickMs: number,
): Map<number, ExternalEvent[]> {
  const out = new Map<number, ExternalEvent[]>();
  for (const item of values) {
    const match = /^(\d+):([^=]+)(?:=(.*))?$/s.exec(item);
    const tick = match ? Number(match[1]) : 0;
    if (!match || tick < 1)
      throw new UsageError(`--event expects TICK:NAME[=JSON] with TICK from 1, got '${item}'`);
    let payload: unknown = null;
    if (match[3] !== undefined) {
      try {
        payload = JSON.parse(match[3]);
      } catch {
        payload = match[3];
      }
    }
    const batch = out.get(tick) ?? [];
    batch.push({ name: match[2], payload, at: (tick - 1) * tickMs });
    out.set(tick, batch);
  }
  return out;
}

function jsonLine(record: TickRecord, blackboard: MemoryBlackboard) {
  return {
    tick: record.tick,
    status: record.status,
    time: record.startedAt,
    ...(record.events ? { events: record.events } : {}),
    blackboard: blackboard.snapshot('exec'),
    changes: record.nodes,
    writes: record.writes,
    logs: record.logs,
    progress: record.progress,
    errors: record.errors,
    ...(record.stuck ? { stuck: record.stuck } : {}),
  };
}

/**
 * One tick in `pretty`: its line, what it wrote to the blackboard (`set key old -> new`), its logs
 * and errors, and the tree only when a node's status changed (a long run is not the same tree
 * drawn over and over).
 */
export function prettyTick(record: TickRecord, now: number, tree: () => string): string {
  const changed = record.nodes.length;
  const lines = [
    `tick ${record.tick}  ${record.status}  t=${now}ms${changed === 0 ? '  (no node changed)' : ''}`,
    ...record.writes.map((w) => `  set ${w.scope === 'exec' ? '' : `${w.scope}:`}${w.key} ${show(w.old)} -> ${show(w.new)}`),
    ...renderTickEvents(record),
  ];
  if (changed > 0) lines.push(tree());
  return `${lines.join('\n')}\n`;
}

const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
