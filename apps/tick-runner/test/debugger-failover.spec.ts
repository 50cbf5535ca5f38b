import { ActionWorker } from '@canopy/sdk';
import {
  type Breakpoint,
  type DebugView,
  type Execution,
  rendezvousOwner,
  shardOf,
  type TickResponse,
} from '@canopy/contracts';
import {
  SHARDS,
  command,
  createExecution,
  deferred,
  readTicks,
  useRunners,
  waitFor,
  waitForShardsSplit,
  type TestRunner,
} from './harness';

jest.setTimeout(60_000);

/** An action in flight when the tick pauses right after it. */
const WORK = '(tree "work" (sequence (action count-me) (set "done" true)))';

describe('tick-runner: a paused execution survives the death of its runner', () => {
  const fx = useRunners({
    runners: [
      { runnerId: 'runner-pa', leaseTtlMs: 1500 },
      { runnerId: 'runner-pb', leaseTtlMs: 1500 },
    ],
    trees: [WORK],
  });
  let a: TestRunner;
  let b: TestRunner;
  let worker: ActionWorker;
  const calls: string[] = [];
  const finish = deferred<'SUCCESS'>();

  beforeAll(async () => {
    [a, b] = fx.runners;
    await waitForShardsSplit(fx.runners);
    worker = new ActionWorker({ natsUrl: fx.infra.nats.url });
    fx.cleanup(async () => {
      finish.resolve('SUCCESS');
      await worker.close();
    });
    await worker.register('count-me', async (_args, ctx) => {
      calls.push(ctx.invocationId);
      return finish.promise;
    });
  });

  it('the next owner shows it paused at the same boundary, and continue finishes the tick once, the action started once', async () => {
    let id = 'pf-0';
    for (
      let i = 1;
      rendezvousOwner(shardOf(id, SHARDS), ['runner-pa', 'runner-pb']) !== 'runner-pa';
      i++
    )
      id = `pf-${i}`;
    await createExecution(fx.gateway, { tree: 'work', id });
    const bp = await command<Breakpoint>(fx.gateway, id, {
      type: 'breakpoint.add',
      breakpoint: { nodeId: '0.0', when: 'after', mode: 'break', once: false, enabled: true },
    });
    const paused = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
    expect(paused.pausedAt).toEqual({
      tick: 1,
      reason: 'breakpoint',
      nodeId: '0.0',
      when: 'after',
      status: 'RUNNING',
      breakpointId: bp.id,
    });
    await waitFor('the action called', () => calls.length === 1);

    await a.crash();
    const moved = await waitFor(
      'the execution on the other runner',
      async () => {
        const e = await command<Execution>(fx.gateway, id, { type: 'get' });
        return e.owner === 'runner-pb' ? e : undefined;
      },
      10_000,
    );
    expect(moved).toMatchObject({ state: 'paused', tick: 0 });
    const view = await command<DebugView>(fx.gateway, id, { type: 'debug' });
    expect(view).toMatchObject({ paused: true, pausedAt: paused.pausedAt, breakpoints: [bp] });

    const done = await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
    expect(done.paused).toBe(false);
    const [first] = await waitFor('tick 1 stored', async () => {
      const ticks = await readTicks(fx.gateway.nc, id);
      return ticks.length === 1 ? ticks : undefined;
    });
    expect(first.data).toMatchObject({ tick: 1, status: 'RUNNING', runner: 'runner-pb' });
    // The new owner asked the worker again (same invocation id); the worker ran it once.
    expect(calls).toEqual([`${id}:0.0:1`]);

    // The action finishes. Its reply and the next tick request reach the runner by different
    // ways, so a tick may still see it running: tick (each stops after the action) until one
    // sees it done.
    finish.resolve('SUCCESS');
    const done2 = await waitFor('a tick that sees the action done', async () => {
      const next = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
      expect(next.pausedAt).toMatchObject({ nodeId: '0.0', when: 'after' });
      if (next.pausedAt?.status === 'SUCCESS') return next.pausedAt;
      await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
      return undefined;
    });
    await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
    const ticks = await waitFor('the last tick stored', async () => {
      const all = await readTicks(fx.gateway.nc, id);
      return all.length === done2.tick ? all : undefined;
    });
    expect(ticks.map((t) => t.data.tick)).toEqual(ticks.map((_, i) => i + 1));
    expect(ticks.slice(1, -1).every((t) => t.data.status === 'RUNNING')).toBe(true);
    expect(ticks[ticks.length - 1].data).toMatchObject({ status: 'SUCCESS' });
    expect(calls).toHaveLength(1);
    expect(await b.redis.hget(`canopy:bb:{exec:${id}}`, 'done')).toBe('true');
  });
});
