import type { DebugView, EventEnvelope, Execution, TickResponse } from '@canopy/contracts';
import type { ActionContext } from '@canopy/engine';
import { command, createExecution, getExecution, readEvents, readTicks, useRunners, waitFor } from './harness';

jest.setTimeout(30_000);

/** The watchdog (DESIGN.md "Watchdog") on a runner with real NATS and Redis. */
describe('tick-runner: watchdog', () => {
  /** Invocations of `never` (an action that never answers): whether each was cancelled. */
  const calls: AbortSignal[] = [];
  const fx = useRunners({
    runners: [
      {
        runnerId: 'runner-watchdog',
        localActions: {
          never: (_args, ctx: ActionContext) => {
            calls.push(ctx.signal);
            return new Promise<never>(() => undefined);
          },
          busy: () => {
            // A slow synchronous action: the tick's engine time.
            const end = performance.now() + 40;
            while (performance.now() < end) {
              // spin
            }
            return 'SUCCESS';
          },
        },
      },
    ],
    trees: [
      '(tree "stuck-wait" (sequence (set "n" (+ (get "n" 0) 1)) (wait :ms 100000 :id "w" :stuck-after 300)))',
      '(tree "stuck-default" (sequence (set "x" 1) (wait :ms 100000 :id "w")))',
      '(tree "stuck-action" (selector (action never :id "a" :stuck-after 300) (set "recovered" true :id "fallback")))',
      '(tree "slow" (action busy))',
    ],
  });

  const eventsOf = async (id: string, type: string): Promise<EventEnvelope[]> =>
    (await readEvents(fx.gateway.nc, id)).map((e) => e.data).filter((e) => e.type === type);

  const until = (id: string, what: string, test: (e: Execution) => boolean) =>
    waitFor(what, async () => {
      const e = await getExecution(fx.gateway, id);
      return test(e) ? e : undefined;
    });

  it('report: node_stuck once per episode, measured on the tick clock from the tick it started', async () => {
    const created = await createExecution(fx.gateway, { tree: 'stuck-wait', id: 'wd-report', mode: 'interval', intervalMs: 50 });
    expect(created.watchdog).toBeUndefined();
    const [stuck] = await waitFor('node_stuck', async () => {
      const events = await eventsOf('wd-report', 'node_stuck');
      return events.length > 0 ? events : undefined;
    });
    // The wait started in tick 1; 300 ms at 50 ms per tick is about tick 7 (later if ticks lag).
    expect(stuck.data).toMatchObject({ nodeId: 'w', runningSinceTick: 1, budgetMs: 300, action: 'report' });
    const data = stuck.data as { runningForMs: number };
    expect(data.runningForMs).toBeGreaterThanOrEqual(300);
    expect(stuck.tick).toBeGreaterThanOrEqual(7);
    // Ten more ticks of the same episode: no second report.
    await until('wd-report', 'ten more ticks', (e) => e.tick >= stuck.tick + 10);
    await command(fx.gateway, 'wd-report', { type: 'stop' });
    expect(await eventsOf('wd-report', 'node_stuck')).toHaveLength(1);
    // The record of that tick carries it too (history keeps it).
    const records = await readTicks(fx.gateway.nc, 'wd-report');
    const record = records.find((r) => r.data.tick === stuck.tick)?.data;
    expect(record?.stuck).toEqual([expect.objectContaining({ nodeId: 'w', runningSinceTick: 1 })]);
    expect(record?.status).toBe('RUNNING');
  });

  it('fail in event mode: a tick is planned at the deadline; the action is halted and the fallback runs', async () => {
    calls.length = 0;
    // intervalMs far away: only the watchdog's deadline brings a tick while the action is pending.
    await createExecution(fx.gateway, {
      tree: 'stuck-action',
      id: 'wd-fail',
      mode: 'event',
      intervalMs: 60_000,
      watchdog: { action: 'fail' },
    });
    const started = Date.now();
    await command(fx.gateway, 'wd-fail', { type: 'trigger' });
    const done = await until('wd-fail', 'the fallback ran', (e) => e.status === 'SUCCESS');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done.tick).toBe(2);
    await command(fx.gateway, 'wd-fail', { type: 'stop' });
    expect(calls).toHaveLength(1);
    expect(calls[0].aborted).toBe(true);
    const [record] = (await readTicks(fx.gateway.nc, 'wd-fail')).filter((r) => r.data.tick === 2).map((r) => r.data);
    expect(record.nodes).toEqual(
      expect.arrayContaining([
        { id: 'a', from: 'RUNNING', to: 'FAILURE' },
        { id: 'fallback', from: 'IDLE', to: 'SUCCESS' },
      ]),
    );
    expect(record.errors).toEqual([expect.objectContaining({ nodeId: 'a', code: 'NODE_STUCK' })]);
    expect(record.writes).toEqual([expect.objectContaining({ key: 'recovered', new: true })]);
    const stuck = await eventsOf('wd-fail', 'node_stuck');
    expect(stuck.map((e) => [e.tick, e.data])).toEqual([
      [2, expect.objectContaining({ nodeId: 'a', runningSinceTick: 1, budgetMs: 300, action: 'fail' })],
    ]);
    expect((await eventsOf('wd-fail', 'error')).map((e) => e.data)).toEqual([
      expect.objectContaining({ nodeId: 'a', code: 'NODE_STUCK' }),
    ]);
  });

  it('pause: the execution pauses mid-tick at the stuck node, for the debugger; resume finishes that tick once', async () => {
    await createExecution(fx.gateway, {
      tree: 'stuck-default',
      id: 'wd-pause',
      mode: 'interval',
      intervalMs: 50,
      watchdog: { stuckAfterMs: 300, action: 'pause' },
    });
    const paused = await until('wd-pause', 'paused by the watchdog', (e) => e.state === 'paused');
    expect(paused.watchdog).toEqual({ stuckAfterMs: 300, action: 'pause' });
    // The tick that found `w` stuck is not committed: it stands at w's `after` boundary.
    const stuckTick = paused.tick + 1;
    const pausedAt = { tick: stuckTick, reason: 'watchdog', nodeId: 'w', when: 'after', status: 'RUNNING' };
    const view = await command<DebugView>(fx.gateway, 'wd-pause', { type: 'debug' });
    expect(view.pausedAt).toEqual(pausedAt);
    expect(view.statuses.w).toBe('RUNNING');
    await waitFor('execution_paused', async () => (await eventsOf('wd-pause', 'execution_paused')).length === 1);
    const [pausedEvent] = await eventsOf('wd-pause', 'execution_paused');
    expect(pausedEvent).toMatchObject({ tick: paused.tick, data: { pausedAt } });
    // node_stuck comes with the record of the tick, which is not there yet.
    expect(await eventsOf('wd-pause', 'node_stuck')).toEqual([]);
    expect((await readTicks(fx.gateway.nc, 'wd-pause')).map((r) => r.data.tick)).not.toContain(stuckTick);
    // No tick while paused.
    expect((await getExecution(fx.gateway, 'wd-pause')).tick).toBe(paused.tick);

    await command(fx.gateway, 'wd-pause', { type: 'resume' });
    await until('wd-pause', 'running on', (e) => e.state === 'running' && e.tick >= stuckTick + 5);
    await command(fx.gateway, 'wd-pause', { type: 'stop' });
    // The paused tick completed once, its record reporting the node once; no second pause.
    const records = (await readTicks(fx.gateway.nc, 'wd-pause')).map((r) => r.data);
    expect(records.filter((r) => r.tick === stuckTick)).toHaveLength(1);
    expect(records.flatMap((r) => r.stuck ?? []).map((s) => s.nodeId)).toEqual(['w']);
    const stuck = await eventsOf('wd-pause', 'node_stuck');
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ tick: stuckTick, data: { nodeId: 'w', runningSinceTick: 1, action: 'pause' } });
    // In the stream: the pause, then (when the tick completes) node_stuck and the resume.
    const order = (await readEvents(fx.gateway.nc, 'wd-pause'))
      .map((e) => e.data.type)
      .filter((t) => t === 'execution_paused' || t === 'node_stuck' || t === 'execution_resumed');
    expect(order).toEqual(['execution_paused', 'node_stuck', 'execution_resumed']);
  });

  it('start replaces the watchdog of a created execution', async () => {
    await createExecution(fx.gateway, { tree: 'stuck-default', id: 'wd-start' });
    const started = await command<Execution>(fx.gateway, 'wd-start', {
      type: 'start',
      mode: 'interval',
      intervalMs: 50,
      watchdog: { stuckAfterMs: 200, action: 'report' },
    });
    expect(started.watchdog).toEqual({ stuckAfterMs: 200, action: 'report' });
    await waitFor('node_stuck', async () => (await eventsOf('wd-start', 'node_stuck')).length === 1);
    await command(fx.gateway, 'wd-start', { type: 'stop' });
    const [stuck] = await eventsOf('wd-start', 'node_stuck');
    expect(stuck.data).toMatchObject({ nodeId: 'w', budgetMs: 200 });
  });

  it('tick_overrun: a tick whose engine time exceeds tickBudgetMs', async () => {
    await createExecution(fx.gateway, { tree: 'slow', id: 'wd-overrun', tickBudgetMs: 10 });
    const reply = await command<TickResponse>(fx.gateway, 'wd-overrun', { type: 'tick', count: 1 });
    expect(reply.tick).toBe(1);
    const overruns = await waitFor('tick_overrun', async () => {
      const events = await eventsOf('wd-overrun', 'tick_overrun');
      return events.length > 0 ? events : undefined;
    });
    expect(overruns).toHaveLength(1);
    expect(overruns[0].tick).toBe(1);
    expect(overruns[0].data).toMatchObject({ tick: 1, budgetMs: 10 });
    expect((overruns[0].data as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(40);
  });
});
