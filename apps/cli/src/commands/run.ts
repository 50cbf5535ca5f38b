import { type ExternalEvent, MemoryBlackboard, TickRecord } from '@canopy/engine';
import { parseArgs, positiveInt, rejectUnknown, single, UsageError } from '../args';
import { embed, parseSets } from '../embedded';
import { Io } from '../io';
import { renderTickEvents, renderTree } from '../render';

const OPTIONS = ['tree', 'ticks', 'until-done', 'tick-ms', 'set', 'event', 'actions', 'format'];
/** `--until-done` (the default) stops here so a tree that never finishes still ends. */
export const UNTIL_DONE_LIMIT = 10_000;

export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, new Set(['until-done']));
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length !== 1) throw new UsageError('run takes exactly one FILE');
  if (args.flags.has('ticks') && args.flags.has('until-done')) {
    throw new UsageError('--ticks and --until-done exclude each other');
  }
  const format = single(args, 'format') ?? 'pretty';
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`--format must be json or pretty, got '${format}'`);
  const tickMs = positiveInt(args, 'tick-ms', 100, 0);
  const ticks = positiveInt(args, 'ticks', UNTIL_DONE_LIMIT);
  const untilDone = !args.flags.has('ticks');
  const initial = parseSets(args.flags.get('set') ?? []);
  const events = parseEvents(args.flags.get('event') ?? [], tickMs);

  const embedded = await embed(io, args.positionals[0], {
    tree: single(args, 'tree'),
    initial,
    actions: single(args, 'actions'),
  });
  if (embedded === undefined) return 2;
  const { tree, clock, blackboard } = embedded;

  let failed = false;
  for (let tick = 1; tick <= ticks; tick++) {
    clock.set((tick - 1) * tickMs);
    const batch = events.get(tick);
    const record = tree.tick(batch === undefined ? undefined : { events: batch });
    failed ||= record.errors.length > 0;
    if (format === 'json') io.out(`${JSON.stringify(jsonLine(record, blackboard))}\n`);
    else io.out(`${renderTick(record, clock.now())}\n${renderTree(tree, io.color)}\n`);
    if (untilDone && record.status !== 'RUNNING') break;
    // Async actions settle on the event loop between ticks, as they would in a runner.
    await new Promise((r) => setImmediate(r));
  }
  tree.halt();
  return failed ? 1 : 0;
}

/**
 * `--event TICK:NAME[=JSON]` (repeatable): external events given to tick TICK, in the order
 * written, stamped with that tick's virtual time. A payload that is not JSON is a string.
 */
export function parseEvents(values: readonly string[], tickMs: number): Map<number, ExternalEvent[]> {
  const out = new Map<number, ExternalEvent[]>();
  for (const item of values) {
    const match = /^(\d+):([^=]+)(?:=(.*))?$/s.exec(item);
    const tick = match ? Number(match[1]) : 0;
    if (!match || tick < 1) throw new UsageError(`--event expects TICK:NAME[=JSON] with TICK from 1, got '${item}'`);
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

function renderTick(record: TickRecord, now: number): string {
  return [`tick ${record.tick}  ${record.status}  t=${now}ms`, ...renderTickEvents(record)].join('\n');
}
