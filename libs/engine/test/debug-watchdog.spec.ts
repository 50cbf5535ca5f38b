import { buildTree, type DebugOutcome, type NodeJson, type TickRecord } from '../src';
import { completed, where } from './debug-helpers';
import { doc, harness, n } from './helpers';

/** `n(...)` with `:stuck-after`. */
const budget = (node: NodeJson, ms: number): NodeJson => ({ ...node, 'stuck-after': ms });

/** A record without its engine time, which differs between any two runs. */
const comparable = (r: TickRecord) => ({ ...r, durationMs: 0 });

/** Two stuck nodes, with work after each, so a pause really is in the middle of the tick. */
const tree = n(
  'parallel',
  { id: 'par' },
  budget(n('running', { id: 'a' }), 200),
  n('set', { id: 'after-a', args: ['seen', 1] }),
  budget(n('running', { id: 'b' }), 200),
  n('set', { id: 'after-b', args: ['seen', 2] }),
);

const pausing = () => harness(tree, { watchdog: { action: 'pause' } });

function pausedAt(o: DebugOutcome) {
  if (o.kind !== 'paused') throw new Error(`expected a pause, got ${where(o)}`);
  return o.at;
}

describe('Watchdog pause under the debugger', () => {
  it('stops the tick at the stuck node’s after boundary, with reason watchdog', () => {
    const h = pausing();
    h.ticks(2, 100); // t = 0, 100: a and b run since tick 1
    const dbg = h.tree.debug();
    // Nothing set in the debugger: a tick in which a node becomes stuck still runs under it.
    const first = pausedAt(dbg.step('continue'));
    expect(first).toEqual({
      tick: 3,
      reason: 'watchdog',
      nodeId: 'a',
      when: 'after',
      status: 'RUNNING',
    });
    expect(h.tree.tickCount).toBe(2);
    // The next detection in the same tick pauses again, at the other node; the first does not.
    expect(pausedAt(dbg.step('continue'))).toMatchObject({ reason: 'watchdog', nodeId: 'b' });
    const record = completed(dbg.step('continue'));
    expect(record.tick).toBe(3);
    expect(h.tree.tickCount).toBe(3);
    expect(h.bb.get('exec', 'seen')).toBe(2);
  });

  it('completes with the record an undebugged tick has: each stuck node once', () => {
    const plain = harness(tree, { watchdog: { action: 'pause' } });
    const expected = plain.ticks(3, 100)[2];
    // Expected from the plain run, checked by hand too: both found stuck at t = 200.
    expect(expected.stuck?.map((s) => [s.nodeId, s.runningSinceTick, s.runningForMs])).toEqual([
      ['a', 1, 200],
      ['b', 1, 200],
    ]);
    const h = pausing();
    h.ticks(2, 100);
    const dbg = h.tree.debug();
    expect(dbg.step('continue').kind).toBe('paused');
    expect(dbg.step('continue').kind).toBe('paused');
    const record = completed(dbg.step('continue'));
    expect(comparable(record)).toEqual(comparable(expected));
  });

  it('pauses once per episode, and again in the next one', () => {
    const h = harness(budget(n('running', { id: 'r' }), 100), { watchdog: { action: 'pause' } });
    h.ticks(1, 100);
    const dbg = h.tree.debug();
    expect(pausedAt(dbg.step('continue')).nodeId).toBe('r');
    completed(dbg.step('continue'));
    h.clock.advance(1000);
    // Reported already: later ticks run plainly, however long it runs.
    expect(completed(dbg.step('continue')).stuck).toBeUndefined();
    // A new episode (the tree restarts after a halt) is watched again.
    h.tree.halt();
    completed(dbg.step('continue'));
    h.clock.advance(100);
    expect(pausedAt(dbg.step('continue'))).toMatchObject({ tick: 5, reason: 'watchdog' });
  });

  it('other actions, and plain ticks, do not pause', () => {
    const report = harness(budget(n('running', { id: 'r' }), 100));
    report.ticks(1, 100);
    expect(completed(report.tree.debug().step('continue')).stuck?.[0].action).toBe('report');
    const plain = harness(budget(n('running', { id: 'r' }), 100), {
      watchdog: { action: 'pause' },
    });
    plain.ticks(1, 100);
    // tree.tick() cannot stop: the stuck node is only recorded.
    expect(plain.tree.tick().stuck?.[0]).toMatchObject({ nodeId: 'r', action: 'pause' });
  });

  it('a user breakpoint at the same boundary names itself; continuing does not stop there again', () => {
    const h = harness(budget(n('running', { id: 'r' }), 100), { watchdog: { action: 'pause' } });
    h.ticks(1, 100);
    const dbg = h.tree.debug();
    dbg.setBreakpoint({
      id: 'bp',
      nodeId: 'r',
      when: 'after',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(pausedAt(dbg.step('continue'))).toMatchObject({ reason: 'breakpoint', nodeId: 'r' });
    expect(completed(dbg.step('continue')).stuck).toHaveLength(1);
  });

  it('goes on in another process from the saved state (failover)', () => {
    const document = doc(budget(n('running', { id: 'r' }), 100));
    const h = harness(document, { watchdog: { action: 'pause' } });
    h.ticks(1, 100);
    const cp = h.tree.checkpoint();
    const dbg = h.tree.debug();
    expect(pausedAt(dbg.step('continue')).reason).toBe('watchdog');
    const other = buildTree(document, { clock: h.clock, watchdog: { action: 'pause' } });
    other.restore(cp);
    other.debug().restoreState(dbg.saveState());
    expect(other.debug().paused).toMatchObject({ reason: 'watchdog', nodeId: 'r', when: 'after' });
    const record = completed(other.debug().step('continue'));
    expect(record.stuck).toEqual([
      { nodeId: 'r', runningSinceTick: 1, runningForMs: 100, budgetMs: 100, action: 'pause' },
    ]);
  });
});
