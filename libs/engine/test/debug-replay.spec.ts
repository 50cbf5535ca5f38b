import {
  ActionRegistry,
  buildTree,
  ManualClock,
  MemoryBlackboard,
  type ActionOutcome,
  type DebugBreakpoint,
  type DebugState,
  type LlmProvider,
  type LlmResult,
  type StepMode,
  type TickRecord,
  type TreeDocument,
} from '../src';
import { completed, finish, where } from './debug-helpers';
import { act, call, cond, deferred, doc, flush, n, set, trace, v } from './helpers';

/**
 * A paused tick is thrown away and re-run; these tests check that the re-runs are invisible:
 * records, blackboard and calls to the outside are those of an undebugged run of the same tree
 * with the same inputs (the expected values come from that run, never from the debugged one).
 */

const TREE: TreeDocument = doc(
  n(
    'sequence',
    { id: 'root' },
    n(
      'reactive-selector',
      { id: 'guard' },
      n(
        'sequence',
        { id: 'low' },
        cond(call('<', v('battery'), 20), 'isLow'),
        act('charge', { level: v('battery') }, 'charge'),
      ),
      n(
        'memory-sequence',
        { id: 'patrol' },
        n(
          'for-each',
          { id: 'loop', kw: { in: { list: ['a', 'b'] }, as: 'wp' } },
          n(
            'sequence',
            { id: 'leg' },
            set('robot/pose/x', call('+', call('get', 'robot/pose/x', 0), 1), 'move'),
            n('log', { id: 'say', args: ['at', v('wp')] }),
          ),
        ),
        n(
          'parallel',
          { id: 'par', kw: { success: 1 } },
          n('wait', { id: 'w', kw: { ms: 300 } }),
          act('scan', undefined, 'scan'),
        ),
        n('subtree', { id: 'rep', args: ['report'], kw: { level: v('battery') } }),
      ),
    ),
    n('invert', { id: 'inv' }, cond(call('=', v('team:alarm'), true), 'alarm')),
    set('team:ticks', call('+', call('get', 'team:ticks', 0), 1), 'count'),
  ),
  {
    name: 'report',
    root: n(
      'retry',
      { id: 'again', kw: { times: 2 } },
      n(
        'sequence',
        { id: 'body' },
        set('exec:last', v('level'), 'keep'),
        cond(call('>', v('level'), 40), 'ok'),
      ),
    ),
  },
);

/** Battery level set before each tick (the input script). */
const BATTERY = [50, 50, 15, 15, 15, 50, 50, 30, 50, 50, 50, 50, 10, 50, 50, 50];

/** A tree with counting async actions whose promises the test settles by hand. */
function world() {
  const calls: {
    name: string;
    invocationId: string;
    signal: AbortSignal;
    settle(v: ActionOutcome): void;
  }[] = [];
  const actions = new ActionRegistry();
  let made = 0;
  for (const name of ['charge', 'scan']) {
    actions.register(name, (_args, ctx) => {
      made++;
      const d = deferred<ActionOutcome>();
      calls.push({ name, invocationId: ctx.invocationId, signal: ctx.signal, settle: d.resolve });
      return d.promise;
    });
  }
  const bb = new MemoryBlackboard({ team: { alarm: false } });
  const clock = new ManualClock(0);
  const tree = buildTree(TREE, { actions, blackboard: bb, clock, execId: 'e1' });
  return {
    tree,
    bb,
    clock,
    calls,
    /** How many times an action was really called. */
    made: () => made,
    /** Before tick t (1-based): the clock and the battery. */
    prepare(t: number) {
      clock.set((t - 1) * 100);
      bb.set('exec', 'battery', BATTERY[t - 1]);
    },
    /** Settles every call still open (in order), as if the outside answered. */
    settleAll() {
      for (const c of calls.splice(0)) if (!c.signal.aborted) c.settle('SUCCESS');
    },
  };
}

/** Settles each tick's calls after it (every other tick), so actions are in flight across ticks. */
const settlesAfter = (t: number): boolean => t % 2 === 0;

async function undebugged(ticks: number) {
  const w = world();
  const records: TickRecord[] = [];
  for (let t = 1; t <= ticks; t++) {
    w.prepare(t);
    records.push(w.tree.tick());
    if (settlesAfter(t)) {
      w.settleAll();
      await flush();
    }
  }
  return { records, made: w.made(), bb: w.bb, checkpoint: w.tree.checkpoint() };
}

describe('Debugger replay', () => {
  it('a session stepped with every mode and continued records what an undebugged run records', async () => {
    const ticks = BATTERY.length;
    const expected = await undebugged(ticks);
    const w = world();
    const dbg = w.tree.debug();
    const hooks: DebugBreakpoint[] = [
      { id: 'b1', nodeId: 'charge', when: 'before', mode: 'break', once: false, enabled: true },
      {
        id: 'b2',
        nodeId: 'par',
        when: 'after',
        mode: 'break',
        once: false,
        enabled: true,
        condition: '(> $battery 10)',
      },
      {
        id: 'b3',
        nodeId: 'rep/ok',
        when: 'before',
        mode: 'break',
        once: true,
        enabled: true,
        condition: '(= $level 50)',
      },
      { id: 'b4', nodeId: 'alarm', when: 'after', mode: 'break', once: false, enabled: false },
    ];
    for (const bp of hooks) dbg.setBreakpoint(bp);
    dbg.setWatch({ id: 'x', key: 'robot/pose/x' });
    dbg.setWatch({ id: 't', key: 'team:ticks', condition: '(> $team:ticks 3)' });
    dbg.setWatch({ id: 'l', key: 'last' });
    const cycle: StepMode[] = ['into', 'over', 'into', 'out', 'into', 'into', 'over', 'continue'];
    const records: TickRecord[] = [];
    const seen = new Set<string>();
    let steps = 0;
    for (let t = 1; t <= ticks; t++) {
      w.prepare(t);
      let settled = false;
      let o = dbg.step(cycle[(t + steps) % cycle.length]);
      while (o.kind === 'paused') {
        seen.add(o.at.reason);
        if (settlesAfter(t) && !settled) {
          // Results arriving while the tick is paused apply after it, as they would have
          // arrived after an undebugged tick.
          w.settleAll();
          await flush();
          settled = true;
        }
        o = dbg.step(cycle[(t + ++steps) % cycle.length]);
      }
      records.push(o.record);
      // Calls made after the pause are settled now; those settled during it waited for this too.
      if (settlesAfter(t)) w.settleAll();
      await flush();
    }
    expect(trace(records)).toEqual(trace(expected.records));
    expect(w.made()).toBe(expected.made);
    expect(w.bb.snapshot('exec')).toEqual(expected.bb.snapshot('exec'));
    expect(w.bb.snapshot('team')).toEqual(expected.bb.snapshot('team'));
    expect(w.tree.checkpoint()).toEqual(expected.checkpoint);
    // The session did stop for every reason it can have, many times.
    expect([...seen].sort()).toEqual(['breakpoint', 'step', 'watch']);
    expect(steps).toBeGreaterThan(50);
  });

  it('calls an action once across a pause and the re-runs of its tick', async () => {
    const h = world();
    let real = 0;
    const actions = new ActionRegistry().register('job', () => {
      real++;
      return new Promise(() => undefined);
    });
    const tree = buildTree(
      doc(n('sequence', { id: 's' }, act('job', undefined, 'j'), set('after', 1, 'a'))),
      {
        actions,
        blackboard: h.bb,
        clock: h.clock,
      },
    );
    const dbg = tree.debug();
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'j',
      when: 'after',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(where(dbg.step('into'))).toBe('before s');
    expect(where(dbg.step('into'))).toBe('before j');
    expect(real).toBe(0);
    expect(where(dbg.step('into'))).toBe('after j RUNNING');
    expect(where(dbg.step('into'))).toBe('after s RUNNING');
    expect(where(dbg.step('into'))).toBe('completed RUNNING');
    expect(real).toBe(1);
    await flush();
  });

  it('writes nothing to the host store while paused; the rest of the tick reads the store as it began', () => {
    const h = world();
    const tree = buildTree(
      doc(
        n(
          'sequence',
          { id: 's' },
          set('a', call('+', v('n'), 1), 'wa'),
          set('b', call('+', v('n'), 2), 'wb'),
        ),
      ),
      { blackboard: h.bb, clock: h.clock },
    );
    h.bb.set('exec', 'n', 10);
    const dbg = tree.debug();
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'wb',
      when: 'before',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(where(dbg.step('continue'))).toBe('before wb');
    expect(h.bb.snapshot('exec')).toEqual({ n: 10 });
    expect(dbg.view().blackboard.exec).toEqual({ n: 10, a: 11 });
    // Someone writes while the tick is paused: it is an outside write, applied before the next tick.
    h.bb.set('exec', 'n', 100);
    const record = completed(dbg.step('continue'));
    expect(record.writes).toEqual([
      { key: 'a', scope: 'exec', new: 11 },
      { key: 'b', scope: 'exec', new: 12 },
    ]);
    expect(h.bb.snapshot('exec')).toEqual({ n: 100, a: 11, b: 12 });
  });

  it('view() shows the statuses and blackboard of the paused point', () => {
    const h = world();
    const tree = buildTree(
      doc(n('sequence', { id: 's' }, set('a', 1, 'wa'), n('success', { id: 'ok' }))),
      {
        blackboard: h.bb,
        clock: h.clock,
      },
    );
    const dbg = tree.debug();
    dbg.step('into');
    dbg.step('into');
    dbg.step('into');
    expect(dbg.view().statuses).toEqual({ s: 'IDLE', wa: 'SUCCESS', ok: 'IDLE' });
    expect(dbg.view().blackboard).toEqual({ global: {}, team: { alarm: false }, exec: { a: 1 } });
    // The tree itself is at the tick's start until the tick completes.
    expect(tree.statuses()).toEqual({ s: 'IDLE', wa: 'IDLE', ok: 'IDLE' });
    expect(tree.checkpoint()).toEqual({ v: 1, fingerprint: tree.fingerprint, tick: 0, nodes: {} });
  });

  it('read() gives a key as the paused node sees it: its locals first, then the store scopes', () => {
    const h = world();
    const d = doc(n('subtree', { id: 'sub', args: ['inner'], kw: { battery: 7 } }), {
      name: 'inner',
      root: n(
        'sequence',
        { id: 'body' },
        set('exec:pose', { map: { x: 1 } }, 'p'),
        n('success', { id: 'leaf' }),
      ),
    });
    const tree = buildTree(d, { blackboard: h.bb, clock: h.clock });
    h.bb.set('exec', 'battery', 50);
    const dbg = tree.debug();
    expect(dbg.read('battery')).toBe(50);
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'sub/leaf',
      when: 'before',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(where(dbg.step('continue'))).toBe('before sub/leaf');
    expect(dbg.read('battery')).toBe(7);
    expect(dbg.read('exec:battery')).toBe(50);
    expect(dbg.read('pose/x')).toBe(1);
    expect(dbg.read('team:alarm')).toBe(false);
    expect(dbg.read('missing')).toBeUndefined();
    expect(dbg.view().locals).toEqual([{ scope: 'local:sub', values: { battery: 7 } }]);
  });

  it('a paused tick takes no plain tick; halt() drops it and cancels what it started', () => {
    const h = world();
    const dbg = h.tree.debug();
    h.prepare(3);
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'charge',
      when: 'after',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(where(dbg.step('continue'))).toBe('after charge RUNNING');
    expect(() => h.tree.tick()).toThrow(
      'BehaviorTree.tick(): tick 1 is paused in the debugger (go on with step())',
    );
    expect(h.calls.map((c) => c.signal.aborted)).toEqual([false]);
    const halted = h.tree.halt();
    expect(dbg.paused).toBeUndefined();
    expect(halted.nodes).toEqual([]);
    expect(h.calls.map((c) => c.signal.aborted)).toEqual([true]);
    expect(h.tree.tick().tick).toBe(1);
  });

  it('an async result that arrives while paused is applied after the tick completes', async () => {
    const h = world();
    const tree = buildTree(
      doc(n('sequence', { id: 's' }, act('charge', undefined, 'c'), n('success', { id: 'ok' }))),
      {
        actions: (() => {
          const r = new ActionRegistry();
          r.register('charge', (_a, ctx) => {
            const d = deferred<ActionOutcome>();
            h.calls.push({
              name: 'charge',
              invocationId: ctx.invocationId,
              signal: ctx.signal,
              settle: d.resolve,
            });
            return d.promise;
          });
          return r;
        })(),
        blackboard: h.bb,
        clock: h.clock,
      },
    );
    const dbg = tree.debug();
    expect(completed(dbg.step('continue')).status).toBe('RUNNING');
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'ok',
      when: 'before',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(where(dbg.step('into'))).toBe('before s');
    h.settleAll();
    await flush();
    // The tick began before the result arrived: it still sees the action running.
    expect(where(dbg.step('continue'))).toBe('completed RUNNING');
    expect(where(dbg.step('continue'))).toBe('before ok');
    expect(finish(dbg).status).toBe('SUCCESS');
  });
});

describe('Debugger state', () => {
  it('a paused tick restored into a freshly built tree goes on at the same boundary and completes as it would have', async () => {
    const expected = await undebugged(4);
    const a = world();
    for (let t = 1; t <= 3; t++) {
      a.prepare(t);
      a.tree.tick();
      if (settlesAfter(t)) {
        a.settleAll();
        await flush();
      }
    }
    a.prepare(4);
    const dbg = a.tree.debug();
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'charge',
      when: 'after',
      mode: 'break',
      once: false,
      enabled: true,
    });
    dbg.setWatch({ id: 'w', key: 'robot/pose/x' });
    expect(where(dbg.step('continue'))).toBe('after charge RUNNING');
    expect(where(dbg.step('into'))).toBe('after low RUNNING');
    // What a host persists: the committed checkpoint (the tick's start), the store, the state.
    const checkpoint = JSON.parse(JSON.stringify(a.tree.checkpoint()));
    const stored = JSON.parse(
      JSON.stringify({ exec: a.bb.snapshot('exec'), team: a.bb.snapshot('team') }),
    );
    const state: DebugState = JSON.parse(JSON.stringify(dbg.saveState()));
    const view = dbg.view();

    const b = world();
    b.bb.set('exec', 'battery', stored.exec.battery);
    for (const [k, x] of Object.entries(stored.exec)) b.bb.set('exec', k, x);
    for (const [k, x] of Object.entries(stored.team)) b.bb.set('team', k, x);
    b.clock.set(1e6); // the new process's clock: the paused tick keeps its own time
    b.tree.restore(checkpoint);
    const dbg2 = b.tree.debug();
    dbg2.restoreState(state);
    expect(dbg2.paused).toEqual(dbg.paused);
    expect(dbg2.breakpoints()).toEqual(dbg.breakpoints());
    expect(dbg2.watches()).toEqual(dbg.watches());
    expect(dbg2.view()).toEqual(view);
    const record = completed(dbg2.step('continue'));
    expect(trace([record])).toEqual(trace([expected.records[3]]));
    expect(b.bb.snapshot('exec')).toEqual(expected.bb.snapshot('exec'));
    // The new process calls what was in flight again, with the same invocation id.
    expect(b.calls.map((c) => c.invocationId)).toEqual(a.calls.map((c) => c.invocationId));
  });

  it('a state without a paused tick carries breakpoints and watches', () => {
    const a = world();
    const dbg = a.tree.debug();
    dbg.setBreakpoint({
      id: 'b',
      nodeId: 'scan',
      when: 'before',
      mode: 'replace',
      status: 'FAILURE',
      once: true,
      enabled: true,
      condition: '(> $battery 1)',
    });
    dbg.setWatch({ id: 'w', key: 'team:ticks', condition: '(> $team:ticks 2)' });
    const b = world().tree.debug();
    b.restoreState(JSON.parse(JSON.stringify(dbg.saveState())));
    expect(b.saveState()).toEqual(dbg.saveState());
    expect(b.paused).toBeUndefined();
  });

  it('refuses a paused state for another tree or another tick', () => {
    const a = world();
    a.prepare(1);
    const dbg = a.tree.debug();
    dbg.step('into');
    const state = dbg.saveState();
    const other = buildTree(doc(n('success', { id: 'x' })), {
      blackboard: new MemoryBlackboard(),
    }).debug();
    expect(() => other.restoreState(state)).toThrow(/the paused tick is of tree/);
    const later = world();
    later.tree.tick();
    expect(() => later.tree.debug().restoreState(state)).toThrow(
      'tick 1 is paused, but the tree is after tick 1 (restore the checkpoint of tick 0 first)',
    );
  });
});

describe('Debugger and LLM calls', () => {
  function provider() {
    const made: { token(t: string): void; resolve(r: LlmResult): void; signal: AbortSignal }[] = [];
    const llm: LlmProvider = (_req, ctx) => {
      const d = deferred<LlmResult>();
      ctx.onToken('Hi');
      made.push({ token: ctx.onToken, resolve: d.resolve, signal: ctx.signal });
      return d.promise;
    };
    return { llm, made };
  }

  function llmTree(llm: LlmProvider) {
    const bb = new MemoryBlackboard();
    const root = n(
      'sequence',
      { id: 's' },
      n('llm-call', { id: 'ask', kw: { prompt: 'say hi', into: 'answer' } }),
      n('success', { id: 'ok' }),
    );
    return { bb, tree: buildTree(doc(root), { llm, blackboard: bb, clock: new ManualClock(0) }) };
  }

  it('the provider is called once; tokens streamed while paused arrive after the tick, as in an undebugged run', async () => {
    // Undebugged, the token arrives after tick 2 and the answer after tick 3.
    const ref = provider();
    const r = llmTree(ref.llm);
    const expected = [r.tree.tick(), r.tree.tick()];
    ref.made[0].token(' there');
    expected.push(r.tree.tick());
    ref.made[0].resolve({ text: 'Hi there!', tokens: 3 });
    await flush();
    expected.push(r.tree.tick());

    const dbgP = provider();
    const d = llmTree(dbgP.llm);
    const dbg = d.tree.debug();
    const got: TickRecord[] = [];
    got.push(finish(dbg, 'into'));
    // Debugged, they arrive while ticks 2 and 3 are paused.
    expect(where(dbg.step('into'))).toBe('before s');
    dbgP.made[0].token(' there');
    got.push(finish(dbg, 'into'));
    expect(where(dbg.step('into'))).toBe('before s');
    expect(where(dbg.step('into'))).toBe('before ask');
    dbgP.made[0].resolve({ text: 'Hi there!', tokens: 3 });
    await flush();
    got.push(finish(dbg, 'over'));
    got.push(finish(dbg, 'into'));
    expect(trace(got)).toEqual(trace(expected));
    expect(dbgP.made).toHaveLength(1);
    expect(d.bb.snapshot('exec')).toEqual(r.bb.snapshot('exec'));
  });
});
