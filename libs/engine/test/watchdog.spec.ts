import { buildTree, type ActionContext, type NodeJson, type TickRecord } from '../src';
import { act, doc, harness, n, ok, run } from './helpers';

/** `n(...)` with `:stuck-after`. */
const budget = (node: NodeJson, ms: number): NodeJson => ({ ...node, 'stuck-after': ms });
const stuckOf = (records: TickRecord[]) => records.flatMap((r) => r.stuck ?? []);
const pending = () => new Promise<never>(() => undefined);

describe('Watchdog', () => {
  describe('detection on the tick clock', () => {
    it('reports a node RUNNING past its :stuck-after, counted from the tick it started', () => {
      const h = harness(n('sequence', ok(), budget(n('running', { id: 'r' }), 250)));
      // Ticks at t = 0, 100, 200, 300: it started at tick 1 (t=0) and is past 250 ms at tick 4.
      const records = h.ticks(4, 100);
      expect(records.map((r) => r.stuck)).toEqual([
        undefined,
        undefined,
        undefined,
        [{ nodeId: 'r', runningSinceTick: 1, runningForMs: 300, budgetMs: 250, action: 'report' }],
      ]);
    });

    it('uses the clock of the tick, not wall time', () => {
      const h = harness(budget(n('running', { id: 'r' }), 50));
      h.ticks(1);
      // However long the host waits between ticks, only the tick clock counts.
      h.clock.advance(49);
      expect(h.tree.tick().stuck).toBeUndefined();
      h.clock.advance(1);
      expect(h.tree.tick().stuck?.[0]).toMatchObject({ nodeId: 'r', runningForMs: 50 });
    });

    it('reports once per episode, and again in the next episode', () => {
      const h = harness(n('sequence', { id: 'root' }, budget(act('gate', {}, 'a'), 100)));
      let answer: 'RUNNING' | 'SUCCESS' = 'RUNNING';
      h.actions.register('gate', () => answer);
      const first = h.ticks(6, 100);
      expect(stuckOf(first).map((s) => [s.nodeId, s.runningSinceTick])).toEqual([['a', 1]]);
      answer = 'SUCCESS';
      h.ticks(1, 100); // the episode ends; the tree restarts
      answer = 'RUNNING';
      const second = h.ticks(4, 100);
      expect(stuckOf(second).map((s) => [s.nodeId, s.runningSinceTick])).toEqual([['a', 8]]);
    });

    it('per-node budgets override the execution default, which applies to leaves only', () => {
      const tree = n(
        'sequence',
        { id: 'seq' },
        n(
          'parallel',
          { id: 'par' },
          budget(n('running', { id: 'long' }), 1000),
          n('running', { id: 'short' }),
        ),
      );
      const h = harness(tree, { watchdog: { stuckAfterMs: 200 } });
      const stuck = stuckOf(h.ticks(12, 100));
      // `short` uses the default (200 ms); `long` its own 1000 ms; composites have no default budget.
      expect(stuck.map((s) => [s.nodeId, s.runningSinceTick, s.runningForMs])).toEqual([
        ['short', 1, 200],
        ['long', 1, 1000],
      ]);
    });

    it('costs nothing without budgets: the plain tick path', () => {
      const h = harness(n('sequence', run()));
      h.ticks(3, 1000);
      expect(h.tree.stuckDeadline).toBe(Number.POSITIVE_INFINITY);
      // No budget, no observed path (the flag that sends nodes through the slower tick).
      expect((h.tree as unknown as { rt: { observed: boolean } }).rt.observed).toBe(false);
    });
  });

  describe('deadline', () => {
    it('is the earliest time a running node not yet reported becomes stuck', () => {
      const h = harness(
        n(
          'parallel',
          budget(n('running', { id: 'a' }), 500),
          budget(n('running', { id: 'b' }), 300),
        ),
        { clock: undefined },
      );
      h.clock.set(1000);
      h.ticks(1);
      expect(h.tree.stuckDeadline).toBe(1300);
      h.clock.set(1300);
      h.ticks(1);
      // b is reported: the next deadline is a's.
      expect(h.tree.stuckDeadline).toBe(1500);
    });
  });

  describe('fail', () => {
    it('halts the stuck node, which fails in the same tick, so a fallback runs', () => {
      const tree = n(
        'selector',
        { id: 'sel' },
        budget(n('running', { id: 'stuck' }), 100),
        n('set', { id: 'fallback', args: ['recovered', true] }),
      );
      const h = harness(tree, { watchdog: { action: 'fail' } });
      h.ticks(1, 100);
      const record = h.tree.tick();
      expect(record.status).toBe('SUCCESS');
      expect(record.nodes).toEqual(
        expect.arrayContaining([
          { id: 'stuck', from: 'RUNNING', to: 'FAILURE' },
          { id: 'fallback', from: 'IDLE', to: 'SUCCESS' },
        ]),
      );
      expect(record.errors).toEqual([
        {
          nodeId: 'stuck',
          code: 'NODE_STUCK',
          message: 'running for 100 ms since tick 1 (budget 100 ms): halted by the watchdog',
        },
      ]);
      expect(record.stuck).toEqual([
        { nodeId: 'stuck', runningSinceTick: 1, runningForMs: 100, budgetMs: 100, action: 'fail' },
      ]);
      expect(h.bb.get('exec', 'recovered')).toBe(true);
    });

    it('cancels the async work of the stuck node and of its running descendants', () => {
      const signals: AbortSignal[] = [];
      const h = harness(
        n('selector', budget(n('sequence', { id: 'phase' }, act('slow', {}, 'call')), 1000), ok()),
        { watchdog: { action: 'fail' } },
      );
      h.actions.register('slow', (_args, ctx: ActionContext) => {
        signals.push(ctx.signal);
        return pending();
      });
      h.ticks(1, 1000);
      expect(signals.map((s) => s.aborted)).toEqual([false]);
      const record = h.tree.tick();
      expect(signals.map((s) => s.aborted)).toEqual([true]);
      expect(record.status).toBe('SUCCESS');
      expect(h.status('call')).toBe('IDLE');
      expect(h.status('phase')).toBe('FAILURE');
    });

    it('honours a result that arrived: a node that finishes in the tick is not stuck', async () => {
      let resolve!: (v: 'SUCCESS') => void;
      const h = harness(budget(act('late', {}, 'a'), 100), { watchdog: { action: 'fail' } });
      h.actions.register('late', () => new Promise((r) => (resolve = r)));
      h.ticks(1, 500);
      resolve('SUCCESS');
      await Promise.resolve();
      await Promise.resolve();
      const record = h.tree.tick();
      expect(record.status).toBe('SUCCESS');
      expect(record.stuck).toBeUndefined();
    });
  });

  describe('checkpoints', () => {
    it('carry the episode, so a restored tree neither restarts the count nor reports twice', () => {
      const document = doc(budget(n('running', { id: 'r' }), 300));
      const h = harness(document);
      h.ticks(2, 200); // t = 0, 200
      const cp = h.tree.checkpoint();
      const again = buildTree(document, { clock: h.clock });
      again.restore(cp);
      const first = again.tick(); // t = 400: 400 ms since tick 1
      expect(first.stuck).toEqual([
        { nodeId: 'r', runningSinceTick: 1, runningForMs: 400, budgetMs: 300, action: 'report' },
      ]);
      const third = buildTree(document, { clock: h.clock });
      third.restore(again.checkpoint());
      h.clock.advance(1000);
      expect(third.tick().stuck).toBeUndefined();
    });
  });

  describe('setWatchdog', () => {
    it('a budget given to a running tree counts from its last tick', () => {
      const h = harness(n('sequence', run()));
      h.ticks(3, 100); // last tick at t = 200
      h.tree.setWatchdog({ stuckAfterMs: 150 });
      expect(h.tree.stuckDeadline).toBe(350);
      const records = h.ticks(2, 100); // t = 300, 400
      expect(stuckOf(records).map((s) => [s.runningSinceTick, s.runningForMs])).toEqual([[3, 200]]);
    });
  });

  describe('debugger', () => {
    it('a stuck node found in a debugged tick is reported once, in the completed record', () => {
      const h = harness(n('sequence', { id: 'root' }, budget(n('running', { id: 'r' }), 100)));
      h.ticks(1, 100);
      const dbg = h.tree.debug();
      dbg.setBreakpoint({
        id: 'b',
        nodeId: 'r',
        when: 'after',
        mode: 'break',
        once: false,
        enabled: true,
      });
      const paused = dbg.step('continue');
      expect(paused.kind).toBe('paused');
      const done = dbg.step('continue');
      expect(done.kind).toBe('completed');
      if (done.kind !== 'completed') return;
      expect(done.record.stuck).toEqual([
        { nodeId: 'r', runningSinceTick: 1, runningForMs: 100, budgetMs: 100, action: 'report' },
      ]);
    });
  });

  describe('tick overrun', () => {
    it('marks a tick whose engine time exceeds tickBudgetMs', () => {
      const h = harness(act('busy', {}, 'a'), { watchdog: { tickBudgetMs: 5 } });
      let spinMs = 0;
      h.actions.register('busy', () => {
        const end = performance.now() + spinMs;
        while (performance.now() < end) {
          // A slow synchronous action: the engine time of the tick.
        }
        return 'SUCCESS';
      });
      expect(h.tree.tick().overrun).toBeUndefined();
      spinMs = 20;
      const slow = h.tree.tick();
      expect(slow.durationMs).toBeGreaterThan(5);
      expect(slow.overrun).toEqual({ budgetMs: 5 });
    });

    it('has no budget by default', () => {
      const h = harness(ok());
      expect(h.tree.tick().overrun).toBeUndefined();
    });
  });
});
