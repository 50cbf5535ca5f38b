import { jetstreamManager } from '@nats-io/jetstream';
import { RedisKeys, Streams, type Execution } from '@canopy/contracts';
import {
  BEAT,
  command,
  createExecution,
  readEvents,
  readTicks,
  useRunners,
  waitFor,
} from './harness';

jest.setTimeout(90_000);

const IDS = ['d-1', 'd-2', 'd-3', 'd-4', 'd-5'];

describe('tick-runner: every committed tick reaches the stream once, whatever NATS does', () => {
  const fx = useRunners({ runners: [{ runnerId: 'runner-d' }], trees: [BEAT] });

  const committedTick = async (id: string) =>
    Number(await fx.runner.redis.hget(RedisKeys.execMeta(id), 'tick'));

  /** Pauses every execution and waits until the stream holds every committed tick. */
  async function settle(ids: string[]): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    for (const id of ids) {
      await waitFor(
        `${id} paused`,
        () => command<Execution>(fx.gateway, id, { type: 'pause' }),
        20_000,
      );
      last.set(id, await committedTick(id));
    }
    for (const id of ids) {
      const n = last.get(id) as number;
      await waitFor(
        `${id} delivered`,
        async () => (await readTicks(fx.gateway.nc, id)).some((t) => t.data.tick === n),
        20_000,
      );
      await waitFor(
        `${id} outbox trimmed`,
        async () => (await fx.runner.redis.zcard(RedisKeys.execOutbox(id))) === 0,
        20_000,
      );
    }
    return last;
  }

  /** Every tick 1..N once, in order, N the committed tick; the tree's counter equals N. */
  async function expectComplete(id: string, n: number, from = 1): Promise<void> {
    const ticks = await readTicks(fx.gateway.nc, id);
    const numbers = ticks.map((t) => t.data.tick);
    expect(numbers).toEqual(Array.from({ length: n - from + 1 }, (_, i) => from + i));
    expect(new Set(ticks.map((t) => t.msgId)).size).toBe(ticks.length);
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'n')).toBe(String(n));
  }

  it('a NATS restart mid-run loses no tick record and re-creates the events stream', async () => {
    for (const id of IDS)
      await createExecution(fx.gateway, { tree: 'beat', id, mode: 'interval', intervalMs: 20 });
    for (const id of IDS)
      await waitFor(`${id} ticking`, async () => (await readTicks(fx.gateway.nc, id)).length >= 5);

    await fx.infra.nats.restart();
    const before = new Map<string, number>();
    for (const id of IDS) before.set(id, await committedTick(id));
    // Ticking goes on: commits do not wait for NATS, records follow when it is back.
    for (const id of IDS) {
      await waitFor(
        `${id} ticks after the restart`,
        async () => (await readTicks(fx.gateway.nc, id)).length >= (before.get(id) as number) + 5,
        30_000,
      );
    }

    const last = await settle(IDS);
    for (const id of IDS) await expectComplete(id, last.get(id) as number);

    const jsm = await jetstreamManager(fx.gateway.nc);
    await expect(jsm.streams.info(Streams.events.name)).resolves.toMatchObject({
      config: { name: Streams.events.name },
    });
    const events = await readEvents(fx.gateway.nc, IDS[0]);
    expect(
      events.some(
        (e) => e.data.type === 'tick_complete' && e.data.tick > (before.get(IDS[0]) as number),
      ),
    ).toBe(true);
  });

  it('a deleted tick stream is created again and the records committed meanwhile are delivered', async () => {
    const id = 'd-gone';
    await createExecution(fx.gateway, { tree: 'beat', id, mode: 'interval', intervalMs: 20 });
    await waitFor('ticking', async () => (await readTicks(fx.gateway.nc, id)).length >= 3);
    const jsm = await jetstreamManager(fx.gateway.nc);
    await jsm.streams.delete(Streams.ticks.name);
    const deletedAt = await committedTick(id);
    await waitFor(
      'stream back',
      () => jsm.streams.info(Streams.ticks.name).then(() => true),
      20_000,
    );
    const last = await settle([id]);
    // What the stream held before its deletion is gone with it; everything after is there once.
    const ticks = await readTicks(fx.gateway.nc, id);
    const first = ticks[0].data.tick;
    expect(first).toBeLessThanOrEqual(deletedAt + 1);
    await expectComplete(id, last.get(id) as number, first);
  });
});
