import type { Execution, StreamEvent } from '../api/types';
import { type BatchClock, filterLog, initialLive, liveReducer, LOG_LIMIT, type LiveState, openTickStart, TickBatcher } from './live';

const execution: Execution = {
  id: 'x',
  tree: 't',
  version: 1,
  mode: 'manual',
  state: 'created',
  status: 'IDLE',
  tick: 3,
  createdAt: '2026-01-01T00:00:00Z',
};
const ev = (type: string, tick: number, seq: number, data: Record<string, unknown> = {}): StreamEvent => ({ type, execId: 'x', tick, seq, data });
const fold = (events: StreamEvent[], from: LiveState = initialLive) => liveReducer(from, { kind: 'events', events });

describe('liveReducer', () => {
  it('starts from the snapshot, then applies node updates and tick completions', () => {
    const s = fold([
      ev('snapshot', 3, -1, { execution, statuses: { a: 'SUCCESS', b: 'IDLE' } }),
      ev('tick_start', 4, 0),
      ev('node_update', 4, 1, { nodeId: 'b', from: 'IDLE', to: 'RUNNING' }),
      ev('tick_complete', 4, 2, { status: 'RUNNING' }),
    ]);
    expect(s.statuses).toEqual({ a: 'SUCCESS', b: 'RUNNING' });
    expect(s.execution?.tick).toBe(4);
    expect(s.execution?.status).toBe('RUNNING');
    expect(s.log.map((e) => e.type)).toEqual(['snapshot', 'tick_start', 'node_update', 'tick_complete']);
  });

  it('skips events of ticks the snapshot already reflects', () => {
    const s = fold([
      ev('snapshot', 3, -1, { execution, statuses: { a: 'SUCCESS' } }),
      ev('node_update', 2, 1, { nodeId: 'a', from: 'IDLE', to: 'FAILURE' }),
    ]);
    expect(s.statuses.a).toBe('SUCCESS');
  });

  it('follows pauses, resumes, stops and reloads', () => {
    let s = fold([ev('snapshot', 3, -1, { execution })]);
    s = fold([ev('execution_paused', 3, 5, { pausedAt: { tick: 4, reason: 'breakpoint', nodeId: 'b', when: 'before' } })], s);
    expect(s.execution?.state).toBe('paused');
    expect(s.pausedAt?.nodeId).toBe('b');
    s = fold([ev('execution_resumed', 3, 6, { mode: 'manual' })], s);
    expect(s.pausedAt).toBeUndefined();
    expect(s.execution?.state).toBe('running');
    s = fold([ev('tree_reloaded', 3, 7, { fromVersion: 1, toVersion: 2 })], s);
    expect(s.version).toBe(2);
    s = fold([ev('execution_stopped', 3, 8)], s);
    expect(s.execution?.state).toBe('stopped');
  });

  it('takes the debugger view as the truth while paused mid-tick', () => {
    const s0 = fold([ev('snapshot', 3, -1, { execution, statuses: { a: 'SUCCESS', b: 'IDLE' } })]);
    const view = {
      paused: true,
      pausedAt: { tick: 4, reason: 'step' as const, nodeId: 'b', when: 'after' as const },
      statuses: { b: 'FAILURE' as const },
      blackboard: { global: {}, team: {}, exec: {} },
      locals: [],
      breakpoints: [],
      watches: [],
    };
    const s = liveReducer(s0, { kind: 'debug', view });
    expect(s.statuses).toEqual({ a: 'SUCCESS', b: 'FAILURE' });
    expect(s.pausedAt?.nodeId).toBe('b');
    expect(liveReducer(s, { kind: 'debug', view: { ...view, paused: false } }).pausedAt).toBeUndefined();
  });

  it('counts skipped events and keeps the log bounded', () => {
    let s = fold([ev('snapshot', 0, -1, { execution: { ...execution, tick: 0 } }), ev('dropped', 9, 3, { count: 7 })]);
    expect(s.dropped).toBe(7);
    const many = Array.from({ length: LOG_LIMIT + 50 }, (_, i) => ev('log', 10 + i, 0, { nodeId: 'n', message: String(i) }));
    s = fold(many, s);
    expect(s.log).toHaveLength(LOG_LIMIT);
    expect(s.log[s.log.length - 1].data.message).toBe(String(LOG_LIMIT + 49));
  });
});

describe('filterLog', () => {
  const log = [
    ev('node_update', 1, 1, { nodeId: 'charge/dock', to: 'RUNNING' }),
    ev('node_update', 1, 2, { nodeId: 'patrol', to: 'SUCCESS' }),
    ev('tick_complete', 1, 3, { status: 'SUCCESS' }),
  ];
  it('filters by type and by node id', () => {
    expect(filterLog(log, new Set(), '')).toHaveLength(3);
    expect(filterLog(log, new Set(['tick_complete']), '')).toEqual([log[2]]);
    expect(filterLog(log, new Set(), 'dock')).toEqual([log[0]]);
    expect(filterLog(log, new Set(['node_update']), 'patrol')).toEqual([log[1]]);
  });
});

describe('openTickStart (a tick is applied whole)', () => {
  const body = (tick: number) => [
    ev('tick_start', tick, 0),
    ev('node_update', tick, 1, { nodeId: 'a', from: 'IDLE', to: 'SUCCESS' }),
    ev('blackboard_update', tick, 2, { key: 'k', scope: 'exec', value: 1 }),
  ];
  const done = (tick: number) => ev('tick_complete', tick, 3, { status: 'SUCCESS' });

  it('holds back a tick whose tick_complete has not arrived, and nothing else', () => {
    expect(openTickStart(body(4))).toBe(0);
    expect(openTickStart([...body(4), done(4), ...body(5)])).toBe(4);
    expect(openTickStart([ev('snapshot', 3, -1), ...body(4).slice(0, 2)])).toBe(1);
  });

  it('lets whole ticks and batches without a tick through', () => {
    expect(openTickStart([...body(4), done(4)])).toBe(4);
    expect(openTickStart([])).toBe(0);
    expect(openTickStart([ev('execution_stopped', 4, 5)])).toBe(1);
    // The tail of a tick whose start was already applied (held too long): nothing to wait for.
    expect(openTickStart([ev('node_update', 4, 1, { nodeId: 'a', from: 'IDLE', to: 'SUCCESS' })])).toBe(1);
  });

  it('holds what arrives between a tick_start and its tick_complete with the tick, in order', () => {
    const started = [...body(4), ev('execution_started', 4, -1, { mode: 'interval' })];
    expect(openTickStart(started)).toBe(0);
    expect(openTickStart([...started, done(4), ev('breakpoint_hit', 4, 4, { nodeId: 'a', when: 'before' })])).toBe(started.length + 2);
  });
});

/** Animation frames and timers run by hand. */
function manualClock() {
  let frames: (() => void)[] = [];
  let timers: { run: () => void; at: number }[] = [];
  let now = 0;
  const clock: BatchClock = {
    now: () => now,
    frame(run) {
      frames.push(run);
      return () => (frames = frames.filter((f) => f !== run));
    },
    timer(run, ms) {
      const t = { run, at: now + ms };
      timers.push(t);
      return () => (timers = timers.filter((x) => x !== t));
    },
  };
  return {
    clock,
    frames: () => frames.length,
    /** Runs the frame callbacks requested so far (one animation frame). */
    frame() {
      const due = frames;
      frames = [];
      due.forEach((f) => f());
    },
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      due.forEach((t) => t.run());
    },
  };
}

describe('TickBatcher', () => {
  const node = (tick: number, seq: number) => ev('node_update', tick, seq, { nodeId: `n${seq}`, from: 'IDLE', to: 'SUCCESS' });
  const setup = () => {
    const m = manualClock();
    const batches: string[][] = [];
    const batcher = new TickBatcher((events) => batches.push(events.map((e) => `${e.type}@${e.tick}.${e.seq}`)), m.clock, 250);
    return { m, batches, batcher };
  };

  it('delivers a tick that straddles frames once, whole, after its tick_complete', () => {
    const { m, batches, batcher } = setup();
    batcher.push(ev('tick_start', 1, 0));
    batcher.push(node(1, 1));
    m.frame();
    expect(batches).toEqual([]);
    // Held: the tick's further events do not ask for frames, its tick_complete does.
    batcher.push(node(1, 2));
    expect(m.frames()).toBe(0);
    batcher.push(ev('tick_complete', 1, 3));
    expect(m.frames()).toBe(1);
    m.frame();
    expect(batches).toEqual([['tick_start@1.0', 'node_update@1.1', 'node_update@1.2', 'tick_complete@1.3']]);
  });

  it('delivers what came before an open tick at once, and the tick when complete', () => {
    const { m, batches, batcher } = setup();
    batcher.push(ev('execution_started', 0, -1));
    batcher.push(ev('tick_start', 1, 0));
    m.frame();
    expect(batches).toEqual([['execution_started@0.-1']]);
    batcher.push(ev('tick_complete', 1, 1));
    batcher.push(ev('tick_start', 2, 0));
    m.frame();
    expect(batches[1]).toEqual(['tick_start@1.0', 'tick_complete@1.1']);
    expect(batches).toHaveLength(2);
  });

  it('keeps holding while a tick trickles in, gives up after the bound of silence', () => {
    const { m, batches, batcher } = setup();
    batcher.push(ev('tick_start', 1, 0));
    m.frame();
    m.advance(200);
    batcher.push(node(1, 1));
    m.advance(200);
    expect(m.frames()).toBe(0);
    m.advance(49);
    expect(m.frames()).toBe(0);
    m.advance(1);
    m.frame();
    expect(batches).toEqual([['tick_start@1.0', 'node_update@1.1']]);
    // The rest of that tick goes out with the next frame, not held again.
    batcher.push(ev('tick_complete', 1, 2));
    m.frame();
    expect(batches[1]).toEqual(['tick_complete@1.2']);
  });

  it('delivers nothing after close', () => {
    const { m, batches, batcher } = setup();
    batcher.push(ev('execution_stopped', 1, 5));
    batcher.close();
    m.frame();
    m.advance(1000);
    expect(batches).toEqual([]);
  });
});
