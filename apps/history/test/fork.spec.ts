import {
  type Execution,
  RedisKeys,
  shardOf,
  Subjects,
  type TickRecordMessage,
  type TickResponse,
} from '@canopy/contracts';
import { call, errorOf, useStack, waitFor } from './harness';
import { COUNTER } from './trees';

jest.setTimeout(60_000);

/** Must equal the runner's SHARD_COUNT in harness.ts. */
const SHARDS = 4;

describe('history: fork (time travel), with the real runner', () => {
  const fx = useStack({ trees: [COUNTER] });

  const tick = (id: string, count: number): Promise<TickResponse> =>
    fx.stack.client.request<TickResponse>(
      Subjects.command(shardOf(id, SHARDS), id),
      { type: 'tick', count },
      { timeoutMs: 20_000 },
    );

  const records = async (id: string, count: number): Promise<Map<number, TickRecordMessage>> => {
    await waitFor(
      `${count} ticks of ${id} in history`,
      async () => (await fx.redis.hlen(RedisKeys.historyRecords(id))) === count,
    );
    const hash = await fx.redis.hgetall(RedisKeys.historyRecords(id));
    return new Map(
      Object.entries(hash).map(([t, json]) => [Number(t), JSON.parse(json) as TickRecordMessage]),
    );
  };

  it('continues a fork from tick N exactly as the original continued from N', async () => {
    await call(fx.stack, Subjects.execCreate, {
      tree: 'counter',
      id: 'original',
      blackboard: { n: 0 },
      mode: 'manual',
    });
    await tick('original', 30);
    const original = await records('original', 30);

    const fork = await call(fx.stack, Subjects.historyFork, {
      id: 'original',
      fromTick: 10,
      newId: 'forked',
    });
    expect(fork).toMatchObject<Partial<Execution>>({
      id: 'forked',
      tree: 'counter',
      version: 1,
      tick: 10,
      status: original.get(10)?.status,
    });
    // The runner stored the checkpoint of tick 10 and the exec scope as it was then.
    expect(JSON.parse((await fx.redis.get(RedisKeys.execCheckpoint('forked'))) as string)).toEqual(
      original.get(10)?.checkpoint,
    );
    const atTen = await call(fx.stack, Subjects.historyGet, { id: 'original', tick: 10 });
    expect(await fx.redis.hgetall(RedisKeys.scopeValues('exec:forked'))).toEqual(
      Object.fromEntries(
        Object.entries(atTen.blackboard.exec ?? {}).map(([k, v]) => [k, JSON.stringify(v)]),
      ),
    );
    expect(Object.keys(atTen.blackboard.exec ?? {}).sort()).toEqual(['fours', 'inner', 'n']);

    await expect(tick('forked', 20)).resolves.toMatchObject({ tick: 30 });
    const forked = await records('forked', 20);
    expect([...forked.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => 11 + i),
    );
    const comparable = (m: TickRecordMessage | undefined) => ({
      tick: m?.tick,
      status: m?.status,
      nodes: m?.nodes,
      writes: m?.writes,
      logs: m?.logs,
      checkpoint: m?.checkpoint,
    });
    for (let t = 11; t <= 30; t++) {
      expect(comparable(forked.get(t))).toEqual(comparable(original.get(t)));
    }
    const [a, b] = await Promise.all([
      call(fx.stack, Subjects.historyGet, { id: 'original', tick: 30 }),
      call(fx.stack, Subjects.historyGet, { id: 'forked', tick: 30 }),
    ]);
    expect(b.statuses).toEqual(a.statuses);
    expect(b.blackboard.exec).toEqual(a.blackboard.exec);
  });

  it('refuses a tick history does not hold, and an id that is taken', async () => {
    expect(
      await errorOf(fx.stack, Subjects.historyFork, { id: 'original', fromTick: 99 }),
    ).toMatchObject({ code: 'TICK_NOT_FOUND' });
    expect(
      await errorOf(fx.stack, Subjects.historyFork, {
        id: 'original',
        fromTick: 5,
        newId: 'forked',
      }),
    ).toMatchObject({ code: 'EXECUTION_EXISTS' });
  });
});
