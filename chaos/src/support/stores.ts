import { RedisKeys } from '@canopy/contracts';
import type { Redis } from 'ioredis';
import { COUNTER_KEY, globalKeyOf } from './trees';

/** One execution's committed state, read at one moment. */
export interface Committed {
  tick: number;
  /** The exec-scope per-tick counter (undefined: absent). */
  counter: number | undefined;
  /** The execution's own global key. */
  global: number | undefined;
}

const numberOf = (json: string | null) =>
  json === null ? undefined : (JSON.parse(json) as number);

/**
 * The committed tick, counter and global key of each execution, each read in one MULTI: a tick's
 * commit writes all three in one script, so they agree whenever nothing was lost or doubled.
 */
export async function committed(redis: Redis, ids: string[]): Promise<Map<string, Committed>> {
  const out = new Map<string, Committed>();
  await Promise.all(
    ids.map(async (id) => {
      const replies = await redis
        .multi()
        .hget(RedisKeys.execMeta(id), 'tick')
        .hget(RedisKeys.scopeValues(`exec:${id}`), COUNTER_KEY)
        .hget(RedisKeys.scopeValues('global'), globalKeyOf(id))
        .exec();
      if (!replies) throw new Error(`MULTI for ${id} was aborted`);
      const [tick, counter, global] = replies.map(([error, value]) => {
        if (error) throw error;
        return value as string | null;
      });
      out.set(id, {
        tick: Number(tick ?? 0),
        counter: numberOf(counter),
        global: numberOf(global),
      });
    }),
  );
  return out;
}

/** What the history store says about an execution (docs/history.md, `canopy:hist:meta` and the tick index). */
export interface HistoryMeta {
  firstTick: number;
  lastTick: number;
  /** Records ever stored (each append counts once). */
  total: number;
  /** Distinct ticks held now. */
  held: number;
}

export async function historyMeta(redis: Redis, ids: string[]): Promise<Map<string, HistoryMeta>> {
  const pipeline = redis.pipeline();
  for (const id of ids) {
    pipeline.hmget(RedisKeys.historyMeta(id), 'firstTick', 'lastTick', 'total');
    pipeline.zcard(RedisKeys.historyTicks(id));
  }
  const replies = (await pipeline.exec()) ?? [];
  const reply = (i: number) => {
    const [error, value] = replies[i] ?? [new Error('no reply'), null];
    if (error) throw error;
    return value;
  };
  return new Map(
    ids.map((id, i) => {
      const [firstTick, lastTick, total] = (reply(2 * i) as (string | null)[]).map((v) =>
        Number(v ?? 0),
      );
      return [id, { firstTick, lastTick, total, held: Number(reply(2 * i + 1)) }];
    }),
  );
}

/** How many ticks in `(from, to]` history holds for each execution (`ranges`: id -> [from, to]). */
export async function historyCountIn(
  redis: Redis,
  ranges: Map<string, [number, number]>,
): Promise<Map<string, number>> {
  const ids = [...ranges.keys()];
  const pipeline = redis.pipeline();
  for (const id of ids) {
    const [from, to] = ranges.get(id) as [number, number];
    pipeline.zcount(RedisKeys.historyTicks(id), from + 1, to);
  }
  const replies = (await pipeline.exec()) ?? [];
  return new Map(
    ids.map((id, i) => {
      const [error, value] = replies[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      return [id, Number(value)];
    }),
  );
}

/** The ticks in `(from, to]` history holds for the execution, as tick -> 1. */
export async function historyTicksIn(
  redis: Redis,
  execId: string,
  from: number,
  to: number,
): Promise<Map<number, number>> {
  const stored = await redis.zrangebyscore(RedisKeys.historyTicks(execId), from + 1, to);
  const counts = new Map<number, number>();
  for (const t of stored) counts.set(Number(t), (counts.get(Number(t)) ?? 0) + 1);
  return counts;
}
