import type { Execution, TickResponse } from '@canopy/contracts';
import type { ActionOutcome } from '@canopy/engine';
import {
  BEAT,
  command,
  createExecution,
  deferred,
  getExecution,
  outsideWrite,
  readEvents,
  readTicks,
  useRunners,
  waitFor,
} from './harness';

jest.setTimeout(30_000);

describe('tick-runner: auto, interval and event modes', () => {
  let later = deferred<ActionOutcome>();
  const fx = useRunners({
    runners: [{ runnerId: 'runner-modes', localActions: { later: () => later.promise } }],
    trees: [
      '(tree "count-up" (repeat :times 1000 (set "n" (+ (get "n" 0) 1))))',
      BEAT,
      '(tree "spin" (running))',
      '(tree "gate" (sequence (set "count" (+ (get "count" 0) 1)) (condition $go)))',
      '(tree "waiter" (sequence (action later) (set "woke" true)))',
    ],
  });

  const until = (id: string, what: string, test: (e: Execution) => boolean, timeoutMs = 10_000) =>
    waitFor(
      what,
      async () => {
        const e = await getExecution(fx.gateway, id);
        return test(e) ? e : undefined;
      },
      timeoutMs,
    );

  it('auto runs to a terminal status, yielding so commands are served meanwhile', async () => {
    await createExecution(fx.gateway, { tree: 'count-up', id: 'auto-1', mode: 'auto' });
    const seen = await Promise.all([1, 2, 3].map(() => getExecution(fx.gateway, 'auto-1')));
    expect(seen.some((e) => e.state === 'running' && e.tick < 1000)).toBe(true);
    const done = await until('auto-1', 'auto-1 completed', (e) => e.state === 'completed');
    expect(done).toMatchObject({ tick: 1000, status: 'SUCCESS', state: 'completed' });
    // Delivery follows the commits: the last records and their events may still be on their way.
    await waitFor('every record and event delivered', async () => {
      const events = await readEvents(fx.gateway.nc, 'auto-1');
      return events.at(-1)?.data.type === 'execution_completed';
    });
    const ticks = await readTicks(fx.gateway.nc, 'auto-1');
    expect(ticks).toHaveLength(1000);
    expect(ticks.map((t) => t.data.tick)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const events = await readEvents(fx.gateway.nc, 'auto-1');
    expect(events[0].data).toMatchObject({
      type: 'execution_started',
      tick: 0,
      data: { mode: 'auto' },
    });
    expect(events.at(-1)?.data).toMatchObject({
      type: 'execution_completed',
      tick: 1000,
      data: { status: 'SUCCESS' },
    });
  });

  it('auto stops at maxTicks when the root keeps running', async () => {
    await createExecution(fx.gateway, { tree: 'spin', id: 'auto-2', mode: 'auto', maxTicks: 25 });
    const done = await until('auto-2', 'auto-2 completed', (e) => e.state === 'completed');
    // The run ended with the tree still running: it is halted in that last tick (nothing held on).
    expect(done).toMatchObject({ tick: 25, status: 'IDLE' });
  });

  it('interval ticks every intervalMs through the scheduler, restarting the tree, until maxTicks', async () => {
    const t0 = Date.now();
    await createExecution(fx.gateway, {
      tree: 'beat',
      id: 'int-1',
      mode: 'interval',
      intervalMs: 40,
      maxTicks: 5,
    });
    const done = await until('int-1', 'int-1 completed', (e) => e.state === 'completed');
    expect(done).toMatchObject({ tick: 5, status: 'SUCCESS' });
    const ticks = await readTicks(fx.gateway.nc, 'int-1');
    const starts = ticks.map((t) => t.data.startedAt);
    // Fixed rate from the first due time (at or after t0): tick i is never earlier than i intervals
    // after it, and a late tick does not push the later ones back.
    starts.forEach((start, i) => expect(start - t0).toBeGreaterThanOrEqual(i * 40 - 2));
    expect(ticks.at(-1)?.data.writes).toEqual([{ key: 'n', scope: 'exec', old: 4, new: 5 }]);
  });

  it('pause holds an interval execution, resume continues it, stop ends it', async () => {
    await createExecution(fx.gateway, {
      tree: 'beat',
      id: 'int-2',
      mode: 'interval',
      intervalMs: 20,
    });
    await until('int-2', 'int-2 ticking', (e) => e.tick >= 2);
    const paused = await command<Execution>(fx.gateway, 'int-2', { type: 'pause' });
    expect(paused.state).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await getExecution(fx.gateway, 'int-2')).tick).toBe(paused.tick);
    await command<Execution>(fx.gateway, 'int-2', { type: 'resume' });
    await until('int-2', 'int-2 resumed', (e) => e.tick >= paused.tick + 2);
    const stopped = await command<Execution>(fx.gateway, 'int-2', { type: 'stop' });
    expect(stopped.state).toBe('stopped');
    const events = (await readEvents(fx.gateway.nc, 'int-2')).map((e) => e.data.type);
    expect(events).toEqual(expect.arrayContaining(['execution_paused', 'execution_stopped']));
  });

  it('start switches a manual execution to interval mode with a fresh maxTicks', async () => {
    await createExecution(fx.gateway, { tree: 'beat', id: 'start-1' });
    await command<TickResponse>(fx.gateway, 'start-1', { type: 'tick', count: 2 });
    const started = await command<Execution>(fx.gateway, 'start-1', {
      type: 'start',
      mode: 'interval',
      intervalMs: 10,
      maxTicks: 3,
    });
    expect(started).toMatchObject({ mode: 'interval', state: 'running', maxTicks: 3 });
    await until('start-1', 'start-1 completed', (e) => e.state === 'completed');
    expect((await getExecution(fx.gateway, 'start-1')).tick).toBe(5);
  });

  it('event mode ticks on a trigger and on a change of its blackboard, not otherwise', async () => {
    await createExecution(fx.gateway, { tree: 'gate', id: 'ev-1', mode: 'event', intervalMs: 30 });
    expect((await getExecution(fx.gateway, 'ev-1')).tick).toBe(0);
    await expect(command(fx.gateway, 'ev-1', { type: 'trigger', reason: 'test' })).resolves.toEqual(
      { queued: true },
    );
    await until('ev-1', 'ev-1 first tick', (e) => e.tick === 1);
    expect((await getExecution(fx.gateway, 'ev-1')).status).toBe('FAILURE');

    await outsideWrite(fx.runner.redis, fx.gateway, 'exec:ev-1', 'go', true);
    const second = await until('ev-1', 'ev-1 ticked on the change', (e) => e.tick === 2);
    expect(second.status).toBe('SUCCESS');
    // Root not RUNNING: no periodic ticks until the next event.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await getExecution(fx.gateway, 'ev-1')).tick).toBe(2);
  });

  it('event mode wakes on a change of a scope it reads only: its team, not another team; global wakes all', async () => {
    await createExecution(fx.gateway, { tree: 'gate', id: 'ev-red', team: 'red', mode: 'event' });
    await createExecution(fx.gateway, { tree: 'gate', id: 'ev-blue', team: 'blue', mode: 'event' });
    await outsideWrite(fx.runner.redis, fx.gateway, 'team:red', 'go', true);
    await until('ev-red', 'ev-red ticked on its team', (e) => e.tick === 1);
    await outsideWrite(fx.runner.redis, fx.gateway, 'global', 'go', true);
    await until('ev-red', 'ev-red ticked on global', (e) => e.tick === 2);
    // ev-blue slept through red's change: global is the first change it ticked on.
    await until('ev-blue', 'ev-blue ticked on global', (e) => e.tick === 1);
    expect((await getExecution(fx.gateway, 'ev-blue')).tick).toBe(1);
  });

  it('event mode ticks every intervalMs while the root is RUNNING, up to maxTicks', async () => {
    await createExecution(fx.gateway, {
      tree: 'spin',
      id: 'ev-2',
      mode: 'event',
      intervalMs: 20,
      maxTicks: 4,
    });
    await command(fx.gateway, 'ev-2', { type: 'trigger' });
    const done = await until('ev-2', 'ev-2 completed', (e) => e.state === 'completed');
    // Still running when maxTicks ended the run: halted in that last tick.
    expect(done).toMatchObject({ tick: 4, status: 'IDLE' });
  });

  it('event mode ticks when an async action settles', async () => {
    later = deferred<ActionOutcome>();
    await createExecution(fx.gateway, {
      tree: 'waiter',
      id: 'ev-3',
      mode: 'event',
      intervalMs: 60_000,
    });
    await command(fx.gateway, 'ev-3', { type: 'trigger' });
    await until('ev-3', 'ev-3 running', (e) => e.tick === 1 && e.status === 'RUNNING');
    later.resolve('SUCCESS');
    const woke = await until('ev-3', 'ev-3 woke', (e) => e.tick === 2);
    expect(woke.status).toBe('SUCCESS');
  });

  it('refuses triggers outside event mode', async () => {
    await createExecution(fx.gateway, { tree: 'beat', id: 'manual-1' });
    const refused = command(fx.gateway, 'manual-1', { type: 'trigger' });
    await expect(refused).rejects.toMatchObject({ code: 'EXECUTION_NOT_STARTABLE' });
  });
});
