import { Subjects } from '@canopy/contracts';
import type { TestInfra } from '@canopy/testing';
import {
  SHARDS,
  connectClient,
  createExecution,
  errorOf,
  getExecution,
  readTicks,
  registerTree,
  startInfra,
  startRunner,
  waitFor,
  type Client,
  type TestRunner,
} from './harness';

jest.setTimeout(60_000);

describe('tick-runner: Redis going away', () => {
  let infra: TestInfra;
  let runner: TestRunner;
  let gateway: Client;

  beforeAll(async () => {
    infra = await startInfra({ redis: { appendonly: true } });
    runner = await startRunner(infra, { runnerId: 'runner-r', leaseTtlMs: 1500 });
    gateway = await connectClient(infra.nats.url);
    await registerTree(gateway, '(tree "beat" (set "n" (+ (get "n" 0) 1)))');
  }, 30_000);

  afterAll(async () => {
    await gateway?.close();
    await runner?.close();
    await infra?.dispose();
  });

  it('stops ticking while Redis is down (it cannot prove ownership) and resumes from the last commit when it is back', async () => {
    await createExecution(gateway, { tree: 'beat', id: 'r-1', mode: 'interval', intervalMs: 20 });
    await waitFor('r-1 ticking', async () => (await getExecution(gateway, 'r-1')).tick >= 3);

    await infra.redis.stop();
    await waitFor('every shard dropped', () => runner.runner.shards.heldShards().length === 0);
    const during = (await readTicks(gateway.nc, 'r-1')).length;
    const unavailable = await errorOf(gateway.bus.request(Subjects.execGet, { id: 'r-1' }, { timeoutMs: 5000 }));
    expect(unavailable.code).toBe('DEPENDENCY_UNAVAILABLE');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await readTicks(gateway.nc, 'r-1')).length).toBe(during);

    await infra.redis.restart();
    await waitFor('shards back', () => runner.runner.shards.heldShards().length === SHARDS, 15_000);
    await waitFor('r-1 ticking again', async () => (await readTicks(gateway.nc, 'r-1')).length >= during + 3, 10_000);
    const ticks = await readTicks(gateway.nc, 'r-1');
    expect(ticks.map((t) => t.data.tick)).toEqual(ticks.map((_, i) => i + 1));
    const last = ticks.at(-1)?.data;
    expect(last?.writes).toEqual([{ key: 'n', scope: 'exec', old: (last?.tick ?? 0) - 1, new: last?.tick }]);
  });
});
