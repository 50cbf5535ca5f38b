import type {
  BlackboardStats,
  ExecutionStats,
  NodeStatsReply,
  TickSummary,
  TimelineEntry,
} from '@canopy/contracts';
import type { LlmUsage, NodeInfo, Status } from '@canopy/engine';
import type { Delta } from './frame';
import { parseScopedKey, scopedKey } from './frame';

type StatusCounts = Record<Status, number>;
const noCounts = (): StatusCounts => ({ IDLE: 0, RUNNING: 0, SUCCESS: 0, FAILURE: 0 });

/** Nearest-rank percentile of an ascending list: the smallest value with p% of values at or below. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Over the retained ticks (`summaries`, ascending); `totalTicks` counts every stored tick. */
export function executionStats(
  execId: string,
  summaries: readonly TickSummary[],
  totalTicks: number,
): ExecutionStats {
  const durations = summaries.map((s) => s.durationMs).sort((a, b) => a - b);
  const statuses = noCounts();
  let errors = 0;
  for (const s of summaries) {
    statuses[s.status]++;
    errors += s.counts.errors;
  }
  const sum = durations.reduce((a, b) => a + b, 0);
  const llm = llmStats(summaries);
  return {
    execId,
    ticks: summaries.length,
    totalTicks,
    firstTick: summaries[0]?.tick ?? 0,
    lastTick: summaries.at(-1)?.tick ?? 0,
    durationMs: {
      p50: percentile(durations, 50),
      p95: percentile(durations, 95),
      p99: percentile(durations, 99),
      mean: durations.length ? sum / durations.length : 0,
      max: durations.at(-1) ?? 0,
    },
    statuses,
    success: statuses.SUCCESS,
    failure: statuses.FAILURE,
    errors,
    ...(llm ? { llm } : {}),
  };
}

type LlmStats = NonNullable<ExecutionStats['llm']>;

/** Calls and tokens over the summaries, in all and per provider and model (in first-seen order). */
function llmStats(summaries: readonly TickSummary[]): LlmStats | undefined {
  const models = new Map<string, LlmStats['models'][number]>();
  for (const s of summaries) {
    for (const u of s.llm ?? []) {
      const id = `${u.provider}\u0000${u.model}`;
      let m = models.get(id);
      if (!m) models.set(id, (m = { provider: u.provider, model: u.model, calls: 0, inputTokens: 0, outputTokens: 0 }));
      m.calls++;
      m.inputTokens += u.inputTokens;
      m.outputTokens += u.outputTokens;
    }
  }
  if (models.size === 0) return undefined;
  const all = [...models.values()];
  const total = (k: 'calls' | 'inputTokens' | 'outputTokens') => all.reduce((a, m) => a + m[k], 0);
  return { calls: total('calls'), inputTokens: total('inputTokens'), outputTokens: total('outputTokens'), models: all };
}

interface NodeAccumulator {
  visits: number;
  timeMs: number;
  statuses: StatusCounts;
  runningSince?: number;
}

/**
 * Per-node statistics over the retained ticks. When records carry visits (the engine's
 * `record.visits`, optionally with `timing`), they are counted as they are. Runners do not turn
 * visits on, so otherwise they are derived from status changes: a visit starts when a node goes
 * from IDLE or a finished status to RUNNING, SUCCESS or FAILURE, and time spent is the clock time
 * between the ticks where it entered and left RUNNING. A node ticked to the same finished status
 * on consecutive ticks has no change to see, so derived visits can undercount.
 */
export function nodeStats(
  execId: string,
  summaries: readonly TickSummary[],
  deltas: ReadonlyMap<number, Delta>,
  tree: readonly NodeInfo[] | undefined,
): NodeStatsReply {
  const byId = new Map<string, NodeAccumulator>();
  const acc = (id: string): NodeAccumulator => {
    let a = byId.get(id);
    if (!a) byId.set(id, (a = { visits: 0, timeMs: 0, statuses: noCounts() }));
    return a;
  };
  for (const node of tree ?? []) acc(node.id);

  const withVisits = summaries.some((s) => deltas.get(s.tick)?.visits !== undefined);
  for (const s of summaries) {
    const delta = deltas.get(s.tick);
    if (withVisits) {
      for (const v of delta?.visits ?? []) {
        const a = acc(v.id);
        a.visits++;
        a.statuses[v.status]++;
        if (v.us !== undefined) a.timeMs += v.us / 1000;
      }
      continue;
    }
    for (const change of delta?.nodes ?? []) {
      const a = acc(change.id);
      a.statuses[change.to]++;
      if (change.from !== 'RUNNING' && change.to !== 'IDLE') a.visits++;
      if (change.from === 'RUNNING' && a.runningSince !== undefined) {
        a.timeMs += s.startedAt - a.runningSince;
        a.runningSince = undefined;
      }
      if (change.to === 'RUNNING') a.runningSince = s.startedAt;
    }
  }
  const last = summaries.at(-1);
  const end = last ? last.startedAt + last.durationMs : 0;
  const info = new Map((tree ?? []).map((n) => [n.id, n]));
  return {
    execId,
    ticks: summaries.length,
    source: withVisits ? 'visits' : 'status-changes',
    nodes: [...byId].map(([id, a]) => {
      if (a.runningSince !== undefined) a.timeMs += end - a.runningSince;
      const finished = a.statuses.SUCCESS + a.statuses.FAILURE;
      const node = info.get(id);
      return {
        id,
        ...(node ? { type: node.type } : {}),
        ...(node?.name !== undefined ? { name: node.name } : {}),
        visits: a.visits,
        timeMs: a.timeMs,
        statuses: a.statuses,
        successRate: finished > 0 ? a.statuses.SUCCESS / finished : null,
      };
    }),
  };
}

/** Writes per key, from the records. Reads are not recorded by the engine: `reads` is null. */
export function blackboardStats(
  execId: string,
  summaries: readonly TickSummary[],
  deltas: ReadonlyMap<number, Delta>,
): BlackboardStats {
  const keys = new Map<string, { writes: number; lastWriteTick: number }>();
  for (const s of summaries) {
    for (const w of deltas.get(s.tick)?.writes ?? []) {
      const field = scopedKey(w.scope, w.key);
      const entry = keys.get(field) ?? { writes: 0, lastWriteTick: 0 };
      entry.writes++;
      entry.lastWriteTick = s.tick;
      keys.set(field, entry);
    }
  }
  return {
    execId,
    ticks: summaries.length,
    readsRecorded: false,
    keys: [...keys]
      .map(([field, e]) => ({
        ...parseScopedKey(field),
        writes: e.writes,
        reads: null,
        lastWriteTick: e.lastWriteTick,
      }))
      .sort((a, b) => a.scope.localeCompare(b.scope) || a.key.localeCompare(b.key)),
  };
}

export function timelineOf(summaries: readonly TickSummary[]): TimelineEntry[] {
  return summaries.map((s) => ({
    tick: s.tick,
    startedAt: s.startedAt,
    status: s.status,
    durationMs: s.durationMs,
  }));
}

export function summaryOf(record: {
  tick: number;
  startedAt: number;
  durationMs: number;
  status: Status;
  nodes: unknown[];
  writes: unknown[];
  logs: unknown[];
  progress: unknown[];
  errors: unknown[];
  llm?: readonly LlmUsage[];
}): TickSummary {
  const summary: TickSummary = {
    tick: record.tick,
    startedAt: record.startedAt,
    durationMs: record.durationMs,
    status: record.status,
    counts: {
      nodes: record.nodes.length,
      writes: record.writes.length,
      logs: record.logs.length,
      progress: record.progress.length,
      errors: record.errors.length,
    },
  };
  if (record.llm && record.llm.length > 0) {
    summary.llm = record.llm.map((u) => ({ provider: u.provider, model: u.model, inputTokens: u.inputTokens, outputTokens: u.outputTokens }));
  }
  return summary;
}
