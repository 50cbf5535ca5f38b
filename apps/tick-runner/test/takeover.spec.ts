import { RedisKeys, rendezvousOwner, shardOf, type TickResponse } from '@canopy/contracts';
import { queueCommit } from '../src/commit/commit-request';
import { metaFromHash } from '../src/executions/execution-meta';
import {
  command,
  createExecution,
  readEvents,
  readTicks,
  SHARDS,
  useRunners,
  waitForShardsSplit,
  waitFor,
  type TestRunner,
} from './harness';

jest.setTimeout(60_000);

describe('tick-runner: a takeover reads shared scopes again', () => {
  let a: TestRunner;
  let b: TestRunner;

  const fx = useRunners({
    runners: [
      { runnerId: 'runner-ta', leaseTtlMs: 1500 },
      { runnerId: 'runner-tb', leaseTtlMs: 1500 },
    ],
    trees: [
      '(tree "g-inc" (set "global:g" (+ (get "global:g" 0) 1)))',
      '(tree "g-read" (set "seen" (get "global:g" 0)))',
    ],
  });
  beforeAll(async () => {
    [a, b] = fx.runners;
    await waitForShardsSplit(fx.runners);
  });

  const ownedBy = (prefix: string, owner: string) => {
    for (let i = 0; ; i++) {
      const id = `${prefix}-${i}`;
      if (rendezvousOwner(shardOf(id, SHARDS), ['runner-ta', 'runner-tb']) === owner) return id;
    }
  };

  it('sees a shared write its previous owner committed and died before announcing', async () => {
    const writer = ownedBy('w', 'runner-ta');
    const reader = ownedBy('r', 'runner-tb');
    await createExecution(fx.gateway, { tree: 'g-inc', id: writer });
    await createExecution(fx.gateway, { tree: 'g-read', id: reader });
    await command<TickResponse>(fx.gateway, writer, { type: 'tick', count: 2 });
    // The reader's runner now caches the global scope, with g = 2.
    await command<TickResponse>(fx.gateway, reader, { type: 'tick', count: 1 });
    expect(b.runner.host.peek('global', 'g')).toBe(2);

    // The writer's runner commits g = 3 (tick 3) and dies before announcing it.
    const shard = shardOf(writer, SHARDS);
    const meta = metaFromHash(await a.redis.hgetall(RedisKeys.execMeta(writer)));
    const [second] = (await readTicks(fx.gateway.nc, writer)).slice(-1);
    const checkpoint = { ...second.data.checkpoint, tick: 3 };
    const pipeline = a.redis.pipeline();
    queueCommit(pipeline, {
      runnerId: 'runner-ta',
      shard,
      epoch: a.runner.shards.epochOf(shard) as number,
      kind: 'tick',
      meta: { ...(meta as NonNullable<typeof meta>), tick: 3 },
      checkpoint,
      record: {
        ...second.data,
        tick: 3,
        writes: [{ scope: 'global', key: 'g', old: 2, new: 3 }],
        checkpoint,
      },
      writes: [{ scope: 'global', key: 'g', value: 3, deleted: false }],
    });
    await pipeline.exec();
    await a.crash();
    expect(b.runner.host.peek('global', 'g')).toBe(2);

    // The other runner takes the writer over and goes on from what Redis holds.
    await waitFor('writer moved', () => b.runner.shards.heldShards().includes(shard), 10_000);
    const next = await waitFor('tick on the new owner', () =>
      command<TickResponse>(fx.gateway, writer, { type: 'tick', count: 1 }),
    );
    expect(next.tick).toBe(4);
    // Tick 3 came from the dead runner's outbox, delivered by the new owner before its own tick.
    const ticks = await waitFor('four records', async () => {
      const all = await readTicks(fx.gateway.nc, writer);
      return all.length === 4 ? all : undefined;
    });
    expect(ticks.map((t) => t.data.tick)).toEqual([1, 2, 3, 4]);
    expect(ticks[3].data.writes).toEqual([{ scope: 'global', key: 'g', old: 3, new: 4 }]);
    expect(await b.redis.hget(RedisKeys.scopeValues('global'), 'g')).toBe('4');
  });
});

describe('tick-runner: events a new owner adds at the tick it found', () => {
  const fx = useRunners({
    runners: [
      { runnerId: 'runner-sa', leaseTtlMs: 1500 },
      { runnerId: 'runner-sb', leaseTtlMs: 1500 },
    ],
    trees: ['(tree "two" (sequence (set "a" 1) (set "b" 2)))'],
  });

  it('come after the previous owner\'s in (tick, seq), so a client that keeps the highest it saw does not skip them', async () => {
    const [a, b] = fx.runners;
    await waitForShardsSplit(fx.runners);
    let id = '';
    for (let i = 0; ; i++) {
      id = `seq-${i}`;
      if (rendezvousOwner(shardOf(id, SHARDS), ['runner-sa', 'runner-sb']) === 'runner-sa') break;
    }
    await createExecution(fx.gateway, { tree: 'two', id });
    await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
    // Tick 1's own events (tick_start ... tick_complete), by the first owner.
    const before = await waitFor('tick 1 events', async () => {
      const events = await readEvents(fx.gateway.nc, id);
      return events.some((e) => e.data.type === 'tick_complete') ? events : undefined;
    });
    const highest = Math.max(...before.filter((e) => e.data.tick === 1).map((e) => e.data.seq));
    expect(highest).toBeGreaterThan(0);

    await a.crash();
    const shard = shardOf(id, SHARDS);
    await waitFor('moved', () => b.runner.shards.heldShards().includes(shard), 10_000);
    // A lifecycle event at the same tick, from the new owner.
    await waitFor('stopped on the new owner', () => command(fx.gateway, id, { type: 'stop' }));
    const stopped = await waitFor('execution_stopped', async () =>
      (await readEvents(fx.gateway.nc, id)).find((e) => e.data.type === 'execution_stopped'),
    );
    expect(stopped.data.tick).toBe(1);
    expect(stopped.data.seq).toBeGreaterThan(highest);
  });
});
