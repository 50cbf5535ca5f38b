import { resolve } from 'node:path';
import {
  ActionFn,
  ActionRegistry,
  buildTree,
  ManualClock,
  MemoryBlackboard,
  TickRecord,
} from '@canopy/engine';
import { parseArgs, positiveInt, rejectUnknown, single, UsageError } from '../args';
import { Io } from '../io';
import { compileFiles, reportErrors } from '../load';
import { renderTree } from '../render';

const OPTIONS = ['tree', 'ticks', 'until-done', 'tick-ms', 'set', 'actions', 'format'];
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

  const file = args.positionals[0];
  const compiled = compileFiles(io, [file]);
  if (compiled.errors.length > 0) {
    reportErrors(io, compiled.errors);
    return 2;
  }
  const clock = new ManualClock(0);
  const blackboard = new MemoryBlackboard({ exec: initial });
  const tree = buildTree(compiled.documents[0].document, {
    tree: single(args, 'tree'),
    execId: 'cli',
    clock,
    blackboard,
    actions: await loadActions(single(args, 'actions')),
  });

  let failed = false;
  for (let tick = 1; tick <= ticks; tick++) {
    clock.set((tick - 1) * tickMs);
    const record = tree.tick();
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

function jsonLine(record: TickRecord, blackboard: MemoryBlackboard) {
  return {
    tick: record.tick,
    status: record.status,
    time: record.startedAt,
    blackboard: blackboard.snapshot('exec'),
    changes: record.nodes,
    writes: record.writes,
    logs: record.logs,
    progress: record.progress,
    errors: record.errors,
  };
}

function renderTick(record: TickRecord, now: number): string {
  const lines = [`tick ${record.tick}  ${record.status}  t=${now}ms`];
  for (const log of record.logs) lines.push(`  log [${log.nodeId}] ${log.message} ${log.values.map((v) => JSON.stringify(v)).join(' ')}`.trimEnd());
  for (const p of record.progress) lines.push(`  progress [${p.nodeId}] ${p.step} ${p.percent}%`);
  for (const e of record.errors) lines.push(`  error [${e.nodeId}] ${e.code}: ${e.message}`);
  return lines.join('\n');
}

/** `--set key=JSON`; a value that is not JSON is taken as a string, as a shell user expects. */
export function parseSets(values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects KEY=JSON, got '${item}'`);
    const raw = item.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out[item.slice(0, eq)] = value;
  }
  return out;
}

/** `--actions MODULE`: a CommonJS/TS module exporting `{ name: fn }` (or a default export of it). */
async function loadActions(modulePath: string | undefined): Promise<ActionRegistry> {
  const registry = new ActionRegistry();
  if (modulePath === undefined) return registry;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(resolve(modulePath))) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--actions: cannot load ${modulePath}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const table = (loaded['default'] ?? loaded) as Record<string, unknown>;
  for (const [name, fn] of Object.entries(table)) {
    if (typeof fn === 'function') registry.register(name, fn as ActionFn);
  }
  return registry;
}
