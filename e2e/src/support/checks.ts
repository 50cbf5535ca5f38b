import { isDeepStrictEqual } from 'node:util';
import type { EventEnvelope, EventType, TickRecordMessage } from '@canopy/contracts';
import type { ExecutionFeed } from './tap';

export interface FeedExpectations {
  execId: string;
  tree: string;
  /** The root node's id: the record's status must be the root's status after its changes. */
  rootId: string;
  /** Exec-scope keys the execution was created with. */
  initial?: Record<string, unknown>;
  /** Exec-scope values written from outside (REST) before the given tick. */
  outside?: Record<number, Record<string, unknown>>;
}

export interface FeedReport {
  /** One record per tick, 1..n, in tick order. */
  records: TickRecordMessage[];
  /** Identical records received again (the outbox replay of a runner taking an execution over). */
  replays: number;
  /** Everything wrong; empty when the feed is consistent. */
  problems: string[];
}

const TICK_EVENT_ORDER: EventType[] = [
  'tick_start',
  'node_update',
  'blackboard_update',
  'log',
  'progress',
  'error',
  'tick_complete',
];
const LIFECYCLE = new Set<EventType>([
  'execution_started',
  'execution_paused',
  'execution_resumed',
  'execution_stopped',
  'execution_completed',
  'breakpoint_hit',
  'watch_hit',
]);

/**
 * Checks what an execution published against itself, tick by tick:
 * - tick records numbered 1..n, in arrival order, each once (identical republishes are counted apart);
 * - every write's `old` is the value the key had (model of every scope, starting from `initial`,
 *   with outside writes applied), every node change's `from` is the node's previous status, and the
 *   record's status is the root's status;
 * - per tick, the events in arrival order: `tick_start` first, `tick_complete` last of the tick's
 *   own events (lifecycle events may follow), `seq` 0, 1, 2..., types in the documented order, and
 *   their data equal to the record's nodes, writes, logs and progress.
 */
export function checkFeed(feed: ExecutionFeed, exp: FeedExpectations): FeedReport {
  const problems: string[] = [];
  const byTick = new Map<number, TickRecordMessage>();
  let replays = 0;
  let lastArrived = 0;
  for (const { data } of feed.ticks) {
    const seen = byTick.get(data.tick);
    if (seen) {
      if (isDeepStrictEqual(seen, data)) replays++;
      else problems.push(`tick ${data.tick}: two different records`);
      continue;
    }
    if (data.tick < lastArrived)
      problems.push(`tick ${data.tick} arrived after tick ${lastArrived}`);
    lastArrived = data.tick;
    byTick.set(data.tick, data);
  }
  const records = [...byTick.values()].sort((a, b) => a.tick - b.tick);
  records.forEach((r, i) => {
    if (r.tick !== i + 1) problems.push(`expected tick ${i + 1}, found ${r.tick} (gap)`);
  });

  const values = new Map<string, unknown>(
    Object.entries(exp.initial ?? {}).map(([k, v]) => [`exec/${k}`, v]),
  );
  const statuses = new Map<string, string>();
  const events = eventsByTick(feed.events);

  for (const r of records) {
    const at = `tick ${r.tick}`;
    if (r.execId !== exp.execId || r.tree !== exp.tree)
      problems.push(`${at}: record of ${r.execId}/${r.tree}`);
    if (r.checkpoint?.tick !== r.tick)
      problems.push(`${at}: checkpoint is of tick ${r.checkpoint?.tick}`);
    for (const [key, value] of Object.entries(exp.outside?.[r.tick] ?? {}))
      values.set(`exec/${key}`, value);
    for (const w of r.writes) {
      const slot = `${w.scope}/${w.key}`;
      const had = values.has(slot);
      if ('old' in w ? !had || !isDeepStrictEqual(values.get(slot), w.old) : had) {
        problems.push(
          `${at}: write ${slot} says old ${show(w, 'old')}, the key held ${had ? JSON.stringify(values.get(slot)) : '(absent)'}`,
        );
      }
      if ('new' in w) values.set(slot, w.new);
      else values.delete(slot);
    }
    for (const change of r.nodes) {
      const before = statuses.get(change.id) ?? 'IDLE';
      if (change.from !== before)
        problems.push(`${at}: node ${change.id} changed from ${change.from}, but was ${before}`);
      statuses.set(change.id, change.to);
    }
    const root = statuses.get(exp.rootId) ?? 'IDLE';
    if (r.status !== root)
      problems.push(`${at}: status ${r.status}, root ${exp.rootId} is ${root}`);
    problems.push(...checkTickEvents(r, events.get(r.tick) ?? []));
  }
  const extra = [...events.keys()].filter((t) => t > 0 && !byTick.has(t));
  if (extra.length > 0) problems.push(`events for ticks without a record: ${extra.join(', ')}`);
  return { records, replays, problems };
}

function checkTickEvents(r: TickRecordMessage, events: EventEnvelope[]): string[] {
  const at = `tick ${r.tick} events`;
  const problems: string[] = [];
  if (events.length === 0) return [`${at}: none`];
  const completeAt = events.findIndex((e) => e.type === 'tick_complete');
  events.forEach((e, i) => {
    // The tick's own events are numbered from 0; what follows them only grows (a new owner's
    // lifecycle events at this tick start higher: docs/streams.md).
    if (i <= completeAt ? e.seq !== i : i > 0 && e.seq <= events[i - 1].seq) problems.push(`${at}: #${i} (${e.type}) has seq ${e.seq}`);
    if (e.execId !== r.execId) problems.push(`${at}: #${i} is of ${e.execId}`);
  });
  const own = events.filter((e) => !LIFECYCLE.has(e.type));
  if (events[0].type !== 'tick_start') problems.push(`${at}: first is ${events[0].type}`);
  if (own[own.length - 1]?.type !== 'tick_complete')
    problems.push(`${at}: last of the tick's own is ${own[own.length - 1]?.type}`);
  if (events.slice(0, completeAt).some((e) => LIFECYCLE.has(e.type)))
    problems.push(`${at}: lifecycle event before tick_complete`);
  const ranks = own.map((e) => TICK_EVENT_ORDER.indexOf(e.type));
  if (ranks.some((rank, i) => i > 0 && rank < ranks[i - 1]))
    problems.push(`${at}: out of order: ${own.map((e) => e.type).join(',')}`);
  if (own.filter((e) => e.type === 'tick_start' || e.type === 'tick_complete').length !== 2) {
    problems.push(`${at}: not exactly one tick_start and one tick_complete`);
  }

  const data = (type: EventType) => own.filter((e) => e.type === type).map((e) => e.data);
  const expect = (what: string, actual: unknown, wanted: unknown) => {
    if (!isDeepStrictEqual(actual, wanted))
      problems.push(`${at}: ${what} ${JSON.stringify(actual)} != ${JSON.stringify(wanted)}`);
  };
  expect('tick_start', data('tick_start'), [{ startedAt: r.startedAt }]);
  expect(
    'node_update',
    data('node_update'),
    r.nodes.map((n) => ({ nodeId: n.id, from: n.from, to: n.to })),
  );
  expect(
    'blackboard_update keys',
    data('blackboard_update').map((d) => {
      const { key, value, old } = d as { key: string; value?: unknown; old?: unknown };
      return { key, value, old };
    }),
    r.writes.map((w) => ({ key: w.key, value: w.new, old: w.old })),
  );
  expect(
    'log',
    data('log'),
    r.logs.map((l) => ({ nodeId: l.nodeId, message: l.message, values: l.values })),
  );
  expect(
    'progress',
    data('progress'),
    r.progress.map((p) => ({ nodeId: p.nodeId, step: p.step, percent: p.percent })),
  );
  const complete = data('tick_complete')[0] as
    { status: string; changes: number; writes: number } | undefined;
  expect(
    'tick_complete',
    complete && { status: complete.status, changes: complete.changes, writes: complete.writes },
    { status: r.status, changes: r.nodes.length, writes: r.writes.length },
  );
  return problems;
}

/**
 * The part of a live feed whose events are in: a tick's events follow its record once the stream
 * has stored it, so the newest records of a running execution may still wait for theirs. Keeps the
 * records (and events) up to the last tick whose `tick_complete` arrived.
 */
export function settledFeed(feed: ExecutionFeed): ExecutionFeed {
  const done = Math.max(
    0,
    ...feed.events.filter((e) => e.data.type === 'tick_complete').map((e) => e.data.tick),
  );
  return {
    ticks: feed.ticks.filter((t) => t.data.tick <= done),
    events: feed.events.filter((e) => e.data.tick <= done),
  };
}

/**
 * Events on the execution's subjects that the runner does not publish: history's
 * `execution_progress` comes after it stored a tick, outside the tick's own order (`seq: -1`).
 */
const NOT_THE_RUNNERS: ReadonlySet<string> = new Set(['execution_progress']);

/** The runner's events of a feed, in arrival order (history's `execution_progress` left out). */
export function runnersEvents<T extends { data: EventEnvelope }>(events: T[]): T[] {
  return events.filter((e) => !NOT_THE_RUNNERS.has(e.data.type));
}

/** The runner's events grouped by tick, in arrival order. */
export function eventsByTick(events: { data: EventEnvelope }[]): Map<number, EventEnvelope[]> {
  const out = new Map<number, EventEnvelope[]>();
  for (const { data } of events) {
    if (NOT_THE_RUNNERS.has(data.type)) continue;
    const list = out.get(data.tick) ?? [];
    list.push(data);
    out.set(data.tick, list);
  }
  return out;
}

function show(w: { old?: unknown }, field: 'old'): string {
  return field in w ? JSON.stringify(w[field]) : '(absent)';
}
