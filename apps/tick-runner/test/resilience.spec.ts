import { Subjects } from '@canopy/contracts';
import {
  BEAT,
  createExecution,
  errorOf,
  getExecution,
  readTicks,
  SHARDS,
  useRunners,
  waitFor,
} from './harness';

jest.setTimeout(60_000);

describe('tick-runner: Redis going away', () => {
  const fx = useRunners({
    runners: [{ runnerId: 'runner-r', leaseTtlMs: 1500 }],
    trees: [BEAT],
    infra: { redis: { appendonly: true } },
  });

  it('stops ticking while Redis is down (it cannot prove ownership) and resumes from the last commit when it is back', async () => {
    await createExecution(fx.gateway, {
      tree: 'beat',
      id: 'r-1',
      mode: 'interval',
      intervalMs: 20,
    });
    await waitFor('r-1 ticking', async () => (await getExecution(fx.gateway, 'r-1')).tick >= 3);

    await fx.infra.redis.stop();
    await waitFor('every shard dropped', () => fx.runner.runner.shards.heldShards().length === 0);
    const during = (await readTicks(fx.gateway.nc, 'r-1')).length;
    const unavailable = await errorOf(
      fx.gateway.bus.request(Subjects.execGet, { id: 'r-1' }, { timeoutMs: 5000 }),
    );
    expect(unavailable.code).toBe('DEPENDENCY_UNAVAILABLE');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await readTicks(fx.gateway.nc, 'r-1')).length).toBe(during);

    await fx.infra.redis.restart();
    await waitFor(
      'shards back',
      () => fx.runner.runner.shards.heldShards().length === SHARDS,
      15_000,
    );
    await waitFor(
      'r-1 ticking again',
      async () => (await readTicks(fx.gateway.nc, 'r-1')).length >= during + 3,
      10_000,
    );
    const ticks = await readTicks(fx.gateway.nc, 'r-1');
    expect(ticks.map((t) => t.data.tick)).toEqual(ticks.map((_, i) => i + 1));
    const last = ticks.at(-1)?.data;
    expect(last?.writes).toEqual([
      { key: 'n', scope: 'exec', old: (last?.tick ?? 0) - 1, new: last?.tick },
    ]);
  });
});
