import type {
  Breakpoint,
  DebugView,
  EventEnvelope,
  Execution,
  TickResponse,
} from '@canopy/contracts';
import { RedisKeys } from '@canopy/contracts';
import {
  command,
  createExecution,
  errorOf,
  readEvents,
  readTicks,
  useRunners,
  waitFor,
} from './harness';

jest.setTimeout(60_000);

/** Three steps per tick; `b` counts the ticks that got past the middle one. */
const STEPS = `
(tree "steps"
  (sequence
    (set "a" (+ (get "a" 0) 1))
    (condition (>= $a 0))
    (set "b" (+ (get "b" 0) 1))))
`;

describe('tick-runner: breakpoints, steps and watches on a running execution', () => {
  const fx = useRunners({ runners: [{ runnerId: 'runner-dbg' }], trees: [STEPS] });

  const debugView = (id: string) => command<DebugView>(fx.gateway, id, { type: 'debug' });
  const records = async (id: string) => (await readTicks(fx.gateway.nc, id)).map((t) => t.data);
  /** The records of an execution nobody debugs, ticked `n` times: what a debugged run must equal. */
  const undebugged = async (id: string, n: number) => {
    await createExecution(fx.gateway, { tree: 'steps', id });
    await command<TickResponse>(fx.gateway, id, { type: 'tick', count: n });
    return (await records(id)).map(
      ({ durationMs: _d, startedAt: _s, checkpoint, execId: _e, epoch: _p, createdAt: _c, ...rest }) => ({
        ...rest,
        checkpoint: { ...checkpoint, fingerprint: undefined },
      }),
    );
  };
  const comparable = (rs: Awaited<ReturnType<typeof records>>) =>
    rs.map(({ durationMs: _d, startedAt: _s, checkpoint, execId: _e, epoch: _p, createdAt: _c, ...rest }) => ({
      ...rest,
      checkpoint: { ...checkpoint, fingerprint: undefined },
    }));

  it('a manual tick that hits a breakpoint answers at once, paused there, and commits nothing of the tick', async () => {
    const id = 'dbg-1';
    await createExecution(fx.gateway, { tree: 'steps', id });
    const bp = await command<Breakpoint>(fx.gateway, id, {
      type: 'breakpoint.add',
      breakpoint: { nodeId: '0.2', when: 'before', mode: 'break', once: false, enabled: true },
    });
    expect(bp).toMatchObject({ nodeId: '0.2', when: 'before', mode: 'break' });

    const reply = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
    expect(reply).toEqual({
      tick: 0,
      status: 'IDLE',
      state: 'paused',
      pausedAt: {
        tick: 1,
        reason: 'breakpoint',
        nodeId: '0.2',
        when: 'before',
        breakpointId: bp.id,
      },
    });
    // Nothing of the half tick is stored or published.
    expect(await fx.runner.redis.hget(RedisKeys.execMeta(id), 'tick')).toBe('0');
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'a')).toBeNull();
    expect(await records(id)).toEqual([]);

    // The view shows the tick as it stands at that boundary.
    const view = await debugView(id);
    expect(view).toMatchObject({
      paused: true,
      pausedAt: { nodeId: '0.2', when: 'before' },
      breakpoints: [bp],
    });
    expect(view.statuses).toMatchObject({
      '0.0': 'SUCCESS',
      '0.1': 'SUCCESS',
      '0.2': 'IDLE',
    });
    expect(view.blackboard.exec).toEqual({ a: 1 });

    const events = await waitFor('pause events', async () => {
      const all = (await readEvents(fx.gateway.nc, id)).map((e) => e.data as EventEnvelope);
      return all.some((e) => e.type === 'execution_paused') ? all : undefined;
    });
    expect(events.map((e) => e.type)).toEqual(['breakpoint_hit', 'execution_paused']);
    expect(events[0].data).toMatchObject({ breakpointId: bp.id, nodeId: '0.2', when: 'before' });
  });

  it('steps into, out and over, continues, and the records equal an undebugged run', async () => {
    const id = 'dbg-1';
    const into = await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'into' });
    // Paused before 0.2: into enters it, which returns at once (a leaf): its after boundary.
    expect(into.pausedAt).toMatchObject({ nodeId: '0.2', when: 'after', reason: 'step' });
    const out = await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'out' });
    expect(out.pausedAt).toMatchObject({ nodeId: '0', when: 'after', reason: 'step' });
    const done = await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
    expect(done.paused).toBe(false);
    await waitFor('tick 1 stored', async () => (await records(id)).length === 1);

    // Two more ticks, each stopped at the breakpoint and continued.
    for (let tick = 2; tick <= 3; tick++) {
      const hit = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
      expect(hit.pausedAt).toMatchObject({ tick, nodeId: '0.2' });
      await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
    }
    const debugged = await waitFor('3 records', async () => {
      const rs = await records(id);
      return rs.length === 3 ? rs : undefined;
    });
    expect(comparable(debugged)).toEqual(await undebugged('plain-1', 3));
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'b')).toBe('3');
  });

  it('a replace hook returns its status without ticking the node; a watch stops after the writing node', async () => {
    const id = 'dbg-2';
    await createExecution(fx.gateway, { tree: 'steps', id });
    await command<Breakpoint>(fx.gateway, id, {
      type: 'breakpoint.add',
      breakpoint: {
        nodeId: '0.1',
        when: 'before',
        mode: 'replace',
        status: 'FAILURE',
        once: true,
        enabled: true,
      },
    });
    const failed = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
    expect(failed).toMatchObject({ tick: 1, status: 'FAILURE' });
    expect(failed.pausedAt).toBeUndefined();
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'b')).toBeNull();

    const watch = await command<{ id: string }>(fx.gateway, id, {
      type: 'watch.add',
      watch: { key: 'b' },
    });
    const stopped = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
    expect(stopped.pausedAt).toMatchObject({
      tick: 2,
      reason: 'watch',
      nodeId: '0.2',
      when: 'after',
      watchId: watch.id,
    });
    const view = await debugView(id);
    expect(view.blackboard.exec).toMatchObject({ a: 2, b: 1 });
  });

  it('refuses what it cannot do, with stable codes', async () => {
    const id = 'dbg-3';
    await createExecution(fx.gateway, { tree: 'steps', id });
    const unknown = await errorOf(
      command(fx.gateway, id, {
        type: 'breakpoint.add',
        breakpoint: { nodeId: '0.9', when: 'before', mode: 'break', once: false, enabled: true },
      }),
    );
    expect(unknown.code).toBe('UNKNOWN_NODE');
    const bad = await errorOf(
      command(fx.gateway, id, {
        type: 'breakpoint.add',
        breakpoint: {
          nodeId: '0.1',
          when: 'before',
          mode: 'break',
          condition: '(< $a',
          once: false,
          enabled: true,
        },
      }),
    );
    expect(bad).toMatchObject({ code: 'BAD_CONDITION', line: 1 });
    expect((await errorOf(command(fx.gateway, id, { type: 'step', mode: 'into' }))).code).toBe(
      'EXECUTION_NOT_PAUSED',
    );
    expect(
      (await errorOf(command(fx.gateway, id, { type: 'watch.remove', watchId: 'nope' }))).code,
    ).toBe('WATCH_NOT_FOUND');
  });

  it('an interval execution paused at a breakpoint holds no slot, and continue lets it run on', async () => {
    const id = 'dbg-4';
    await createExecution(fx.gateway, { tree: 'steps', id, mode: 'interval', intervalMs: 20 });
    await waitFor('ticking', async () => (await records(id)).length >= 2);
    await command<Breakpoint>(fx.gateway, id, {
      type: 'breakpoint.add',
      breakpoint: { nodeId: '0.2', when: 'before', mode: 'break', once: true, enabled: true },
    });
    const paused = await waitFor('paused', async () => {
      const e = await command<Execution>(fx.gateway, id, { type: 'get' });
      return e.state === 'paused' ? e : undefined;
    });
    // Nothing of it is scheduled while it is paused.
    expect(fx.runner.runner.host.scheduler.dueOf(id)).toBeUndefined();
    expect((await command<Execution>(fx.gateway, id, { type: 'get' })).tick).toBe(paused.tick);
    await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
    await waitFor(
      'ticking again',
      async () =>
        (await command<Execution>(fx.gateway, id, { type: 'get' })).tick >= paused.tick + 3,
    );
    const rs = await records(id);
    expect(rs.map((r) => r.tick)).toEqual(rs.map((_, i) => i + 1));
    const events = (await readEvents(fx.gateway.nc, id)).map((e) => e.data.type);
    expect(events).toContain('execution_resumed');
  });
  it('a pause between ticks and a resume are events; a stop drops a tick paused mid-way', async () => {
    const id = 'dbg-5';
    await createExecution(fx.gateway, { tree: 'steps', id, mode: 'interval', intervalMs: 20 });
    await waitFor('ticking', async () => (await records(id)).length >= 2);
    const held = await command<Execution>(fx.gateway, id, { type: 'pause' });
    expect(held.state).toBe('paused');
    const pausedEvent = await waitFor('execution_paused', async () =>
      (await readEvents(fx.gateway.nc, id))
        .map((e) => e.data as EventEnvelope)
        .find((e) => e.type === 'execution_paused'),
    );
    expect(pausedEvent.data).toEqual({ pausedAt: { tick: held.tick + 1, reason: 'request' } });
    expect((await command<Execution>(fx.gateway, id, { type: 'resume' })).state).toBe('running');
    await waitFor('execution_resumed', async () =>
      (await readEvents(fx.gateway.nc, id)).some((e) => e.data.type === 'execution_resumed'),
    );

    await command<Breakpoint>(fx.gateway, id, {
      type: 'breakpoint.add',
      breakpoint: { nodeId: '0.2', when: 'before', mode: 'break', once: false, enabled: true },
    });
    const pausedAt = await waitFor('paused mid-tick', async () => {
      const view = await debugView(id);
      return view.pausedAt?.nodeId === '0.2' ? view.pausedAt : undefined;
    });
    const stopped = await command<Execution>(fx.gateway, id, { type: 'stop' });
    expect(stopped.state).toBe('stopped');
    // The paused tick never happened: the count, the stored value and the stream stop before it.
    const done = pausedAt.tick - 1;
    expect(stopped.tick).toBe(done);
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'a')).toBe(String(done));
    const rs = await records(id);
    expect(rs.map((r) => r.tick)).toEqual(Array.from({ length: done }, (_, i) => i + 1));
    expect((await debugView(id)).paused).toBe(false);
  });
});
