import { RedisKeys, type TickRecordMessage, type TickSummary } from '@canopy/contracts';
import { luaScript, reachRedis, runScript } from '@canopy/service-kit';
import type Redis from 'ioredis';
import type { Delta, Frame } from '../state/frame';
import type { ProgressState } from '../state/progress';
import { APPEND_SCRIPT, FRAME_SCRIPT, TRIM_SCRIPT } from './scripts';

const append = luaScript(APPEND_SCRIPT);
const trim = luaScript(TRIM_SCRIPT);
const frame = luaScript(FRAME_SCRIPT);

/** In the order scripts.ts documents. */
function historyKeys(execId: string): string[] {
  return [
    RedisKeys.historyRecords(execId),
    RedisKeys.historySummaries(execId),
    RedisKeys.historyDeltas(execId),
    RedisKeys.historyTicks(execId),
    RedisKeys.historyTimes(execId),
    RedisKeys.historyKeyframes(execId),
    RedisKeys.historyKeyframeTicks(execId),
    RedisKeys.historyKeys(execId),
    RedisKeys.historyMeta(execId),
    RedisKeys.historyProgress(execId),
  ];
}

export interface HistoryMeta {
  tree: string;
  version: number;
  /** Of the latest tick's checkpoint. */
  fingerprint: string;
  firstTick: number;
  lastTick: number;
  /** Ticks ever stored (retained or not). */
  total: number;
  /** The execution's `createdAt` (its incarnation) the stored ticks belong to; unknown for old records. */
  createdAt?: string;
}

export interface AppendEntry {
  record: TickRecordMessage;
  summary: TickSummary;
  delta?: Delta;
  keyframe?: Frame;
  progress?: ProgressState;
  /** Existing keyframes rewritten with backfilled values. */
  backfilled: Frame[];
  /** Keys written for the first time: [scopedKey, tick]. */
  newKeys: [string, number][];
}

export type AppendResult =
  { stored: false } | { stored: true; count: number; oldestTick: number; oldestStartedAt: number };

/** What rebuilding a tick reads: its keyframe and the deltas after it, up to the tick. */
export interface FrameParts {
  keyframe: Frame;
  /** Ascending; `delta` undefined when the tick changed nothing. */
  deltas: { tick: number; delta: Delta | undefined }[];
  record?: TickRecordMessage;
}

/**
 * Redis access for execution histories: knows the storage layout (docs/history.md), not the
 * service's rules. Every multi-key step is one Lua script, so readers never see half of one.
 */
export class HistoryStore {
  constructor(private readonly redis: Redis) {}

  async meta(execId: string): Promise<HistoryMeta | undefined> {
    const hash = await reach(() => this.redis.hgetall(RedisKeys.historyMeta(execId)));
    if (!hash.lastTick) return undefined;
    return {
      tree: hash.tree,
      version: Number(hash.version),
      fingerprint: hash.fingerprint ?? '',
      firstTick: Number(hash.firstTick),
      lastTick: Number(hash.lastTick),
      total: Number(hash.total ?? 0),
      createdAt: hash.createdAt || undefined,
    };
  }

  async hasTick(execId: string, tick: number): Promise<boolean> {
    return (await reach(() => this.redis.zscore(RedisKeys.historyTicks(execId), tick))) !== null;
  }

  async append(execId: string, entry: AppendEntry): Promise<AppendResult> {
    const { record } = entry;
    const args: (string | number)[] = [
      record.tick,
      record.startedAt,
      JSON.stringify(record),
      JSON.stringify(entry.summary),
      entry.delta ? JSON.stringify(entry.delta) : '',
      entry.keyframe ? JSON.stringify(entry.keyframe) : '',
      entry.progress ? JSON.stringify(entry.progress) : '',
      record.tree,
      record.version,
      record.checkpoint.fingerprint,
      record.createdAt ?? '',
      entry.backfilled.length,
      ...entry.backfilled.flatMap((f) => [f.tick, JSON.stringify(f)]),
      ...entry.newKeys.flat(),
    ];
    const reply = (await reach(() =>
      runScript(this.redis, append, historyKeys(execId), args),
    )) as unknown[];
    if (Number(reply[0]) !== 1) return { stored: false };
    await reach(() =>
      this.redis.zadd(RedisKeys.historyIndex, Number(reply[3]), execId).then(() => undefined),
    );
    return {
      stored: true,
      count: Number(reply[1]),
      oldestTick: Number(reply[2]),
      oldestStartedAt: Number(reply[3]),
    };
  }

  /** Drops ticks before `firstTick`, storing `keyframe` as its keyframe if it has none. */
  async trim(execId: string, firstTick: number, keyframe: Frame | undefined): Promise<number> {
    const reply = (await reach(() =>
      runScript(this.redis, trim, historyKeys(execId), [
        firstTick,
        keyframe ? JSON.stringify(keyframe) : '',
      ]),
    )) as [number, string | null];
    const oldest = reply[1];
    await reach(() =>
      (oldest === null || oldest === undefined
        ? this.redis.zrem(RedisKeys.historyIndex, execId)
        : this.redis.zadd(RedisKeys.historyIndex, Number(oldest), execId)
      ).then(() => undefined),
    );
    return Number(reply[0]);
  }

  /** Removes the whole history of an execution; replies how many ticks it held. */
  async delete(execId: string): Promise<number> {
    const replies = await reach(() => {
      const multi = this.redis.multi().zcard(RedisKeys.historyTicks(execId));
      multi.del(...historyKeys(execId));
      return multi.exec();
    });
    await reach(() => this.redis.zrem(RedisKeys.historyIndex, execId));
    return Number(resultOf(replies?.[0]) ?? 0);
  }

  async frameParts(
    execId: string,
    tick: number,
    withRecord: boolean,
  ): Promise<FrameParts | undefined> {
    const reply = (await reach(() =>
      runScript(this.redis, frame, historyKeys(execId), [tick, withRecord ? '1' : '0']),
    )) as [string, string, string | null, string[], (string | null)[]] | [];
    if (reply.length === 0) return undefined;
    const [, keyframe, record, ticks, deltas] = reply;
    return {
      keyframe: JSON.parse(keyframe) as Frame,
      deltas: ticks.map((t, i) => ({
        tick: Number(t),
        delta: deltas[i] ? (JSON.parse(deltas[i] as string) as Delta) : undefined,
      })),
      record: record ? (JSON.parse(record) as TickRecordMessage) : undefined,
    };
  }

  /** Keyframes before `tick` (ascending). */
  async keyframesBefore(execId: string, tick: number): Promise<Frame[]> {
    const ticks = await reach(() =>
      this.redis.zrangebyscore(RedisKeys.historyKeyframeTicks(execId), '-inf', `(${tick}`),
    );
    if (ticks.length === 0) return [];
    const json = await reach(() => this.redis.hmget(RedisKeys.historyKeyframes(execId), ...ticks));
    return json.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as Frame);
  }

  /** Keyframe ticks after `tick` (ascending). */
  keyframeTicksAfter(execId: string, tick: number): Promise<number[]> {
    return reach(() =>
      this.redis.zrangebyscore(RedisKeys.historyKeyframeTicks(execId), `(${tick}`, '+inf'),
    ).then((ticks) => ticks.map(Number));
  }

  async putKeyframes(execId: string, frames: Frame[]): Promise<void> {
    if (frames.length === 0) return;
    await reach(() =>
      this.redis.hset(
        RedisKeys.historyKeyframes(execId),
        ...frames.flatMap((f) => [String(f.tick), JSON.stringify(f)]),
      ),
    );
  }

  retainedCount(execId: string): Promise<number> {
    return reach(() => this.redis.zcard(RedisKeys.historyTicks(execId)));
  }

  /** The tick at `rank` (0 = oldest retained). */
  async tickAtRank(execId: string, rank: number): Promise<number | undefined> {
    const [tick] = await reach(() => this.redis.zrange(RedisKeys.historyTicks(execId), rank, rank));
    return tick === undefined ? undefined : Number(tick);
  }

  /** The oldest tick that started at or after `since` (ms). */
  async firstTickSince(execId: string, since: number): Promise<number | undefined> {
    const [tick] = await reach(() =>
      this.redis.zrangebyscore(RedisKeys.historyTimes(execId), since, '+inf', 'LIMIT', 0, 1),
    );
    return tick === undefined ? undefined : Number(tick);
  }

  async oldestStartedAt(execId: string): Promise<number | undefined> {
    const reply = await reach(() =>
      this.redis.zrange(RedisKeys.historyTimes(execId), 0, 0, 'WITHSCORES'),
    );
    return reply.length === 2 ? Number(reply[1]) : undefined;
  }

  /** Executions whose oldest retained tick started before `cutoff`. */
  expiring(cutoff: number, limit: number): Promise<string[]> {
    return reach(() =>
      this.redis.zrangebyscore(RedisKeys.historyIndex, '-inf', `(${cutoff}`, 'LIMIT', 0, limit),
    );
  }

  async knownKeys(execId: string): Promise<Map<string, number>> {
    const hash = await reach(() => this.redis.hgetall(RedisKeys.historyKeys(execId)));
    return new Map(Object.entries(hash).map(([field, tick]) => [field, Number(tick)]));
  }

  async progress(execId: string): Promise<ProgressState | undefined> {
    const json = await reach(() => this.redis.get(RedisKeys.historyProgress(execId)));
    return json ? (JSON.parse(json) as ProgressState) : undefined;
  }

  /** Summaries of retained ticks in [from, to], ascending, at most `limit`. */
  async summaries(
    execId: string,
    from = 1,
    to = Number.MAX_SAFE_INTEGER,
    limit = Number.MAX_SAFE_INTEGER,
  ): Promise<TickSummary[]> {
    const ticks = await reach(() =>
      this.redis.zrangebyscore(RedisKeys.historyTicks(execId), from, to, 'LIMIT', 0, limit),
    );
    if (ticks.length === 0) return [];
    const json = await reach(() => this.redis.hmget(RedisKeys.historySummaries(execId), ...ticks));
    return json.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as TickSummary);
  }

  /** Every retained delta by tick. */
  async deltas(execId: string): Promise<Map<number, Delta>> {
    const hash = await reach(() => this.redis.hgetall(RedisKeys.historyDeltas(execId)));
    return new Map(
      Object.entries(hash).map(([tick, json]) => [Number(tick), JSON.parse(json) as Delta]),
    );
  }

  /** Deltas of the retained ticks in (after, upTo], ascending. */
  async deltasBetween(
    execId: string,
    after: number,
    upTo: number,
  ): Promise<{ tick: number; delta: Delta | undefined }[]> {
    const ticks = await reach(() =>
      this.redis.zrangebyscore(RedisKeys.historyTicks(execId), `(${after}`, upTo),
    );
    if (ticks.length === 0) return [];
    const json = await reach(() => this.redis.hmget(RedisKeys.historyDeltas(execId), ...ticks));
    return ticks.map((t, i) => ({
      tick: Number(t),
      delta: json[i] ? (JSON.parse(json[i] as string) as Delta) : undefined,
    }));
  }
}

/** Redis calls with an outage answered DEPENDENCY_UNAVAILABLE (the consumer retries those). */
function reach<T>(call: () => Promise<T>): Promise<T> {
  return reachRedis(call, 'history storage');
}

/** A MULTI reply item is [error, result]; a failed command fails the whole read. */
function resultOf(item: [Error | null, unknown] | undefined): unknown {
  if (!item) return undefined;
  if (item[0]) throw item[0];
  return item[1];
}
