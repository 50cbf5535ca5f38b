import { type ActionOutcome, ActionRegistry, prepareReload, buildTree, BuildError, MemoryBlackboard, ManualClock, type TreeDocument } from '../src';
import { call, deferred, flush, harness, make, n, sym, v } from './helpers';

/** `(for-each :in $items :as "it" :parallel N (sequence (log "item" $it) (action work :it $it :into "out") (set "done" (append $done $out))))` */
const body = () =>
  n(
    'sequence',
    n('log', { args: ['item', v('it')] }),
    n('action', { args: [sym('work')], kw: { it: v('it'), into: 'out' } }),
    n('set', { args: ['done', call('append', v('done'), v('out'))] }),
  );
const loop = (parallel: number, id?: string) => n('for-each', { id, kw: { in: v('items'), as: 'it', parallel } }, body());

/** `work` answers when the test resolves the call for that item. */
function withWork(items: unknown[], parallel: number) {
  const h = harness(loop(parallel), { bb: { exec: { items, done: [] } } });
  const calls = new Map<unknown, ReturnType<typeof deferred<ActionOutcome>>>();
  h.actions.register('work', (args) => {
    const d = deferred<ActionOutcome>();
    calls.set(args.it, d);
    return d.promise;
  });
  return { h, calls };
}

describe('(for-each ... :parallel N)', () => {
  it('builds N copies of the child, ids F.0 ... F.N-1, each with its own scope', () => {
    const h = harness(loop(3), { bb: { exec: { items: [], done: [] } } });
    expect(h.tree.nodes.filter((x) => x.type === 'sequence').map((x) => x.id)).toEqual(['0.0', '0.1', '0.2']);
    expect(h.tree.nodes.filter((x) => x.type === 'action').map((x) => x.id)).toEqual(['0.0.1', '0.1.1', '0.2.1']);
  });

  it('runs up to N items at once, one per copy, and hands the next item to the first copy that is free', async () => {
    const { h, calls } = withWork(['a', 'b', 'c', 'd', 'e'], 2);
    const first = h.tree.tick();
    expect(first.status).toBe('RUNNING');
    expect(first.logs.map((l) => l.values)).toEqual([['a'], ['b']]);
    // The loop variable is bound in each copy's own scope, labelled by the copy's root.
    expect(first.writes).toEqual([
      { key: 'it', scope: 'local:0.0', new: 'a' },
      { key: 'it', scope: 'local:0.1', new: 'b' },
    ]);
    expect([...calls.keys()]).toEqual(['a', 'b']);
    calls.get('b')?.resolve({ status: 'SUCCESS', output: 'B' });
    await flush();
    // Copy 1 finishes item b in this tick and takes item c on the next one.
    expect(h.tree.tick().writes.filter((w) => w.key === 'done').map((w) => w.new)).toEqual([['B']]);
    expect(h.tree.tick().logs.map((l) => l.values)).toEqual([['c']]);
    expect([...calls.keys()]).toEqual(['a', 'b', 'c']);
    calls.get('a')?.resolve({ status: 'SUCCESS', output: 'A' });
    calls.get('c')?.resolve({ status: 'SUCCESS', output: 'C' });
    await flush();
    h.tree.tick();
    expect(h.tree.tick().logs.map((l) => l.values)).toEqual([['d'], ['e']]);
    calls.get('d')?.resolve({ status: 'SUCCESS', output: 'D' });
    calls.get('e')?.resolve({ status: 'SUCCESS', output: 'E' });
    await flush();
    expect(h.tree.tick().status).toBe('SUCCESS');
    // Results collected in the execution scope, in the order they finished.
    expect(h.bb.get('exec', 'done')).toEqual(['B', 'A', 'C', 'D', 'E']);
    expect(h.bb.has('exec', 'it')).toBe(false);
  });

  it('runs as many copies as there are items when there are fewer', async () => {
    const { h, calls } = withWork(['x'], 4);
    expect(h.tree.tick().logs.map((l) => l.values)).toEqual([['x']]);
    expect(h.tree.statuses()).toMatchObject({ '0.0': 'RUNNING' });
    expect(h.tree.statusOf('0.1')).toBe('IDLE');
    calls.get('x')?.resolve({ status: 'SUCCESS', output: 1 });
    await flush();
    expect(h.tree.tick().status).toBe('SUCCESS');
  });

  it('succeeds at once on an empty list', () => {
    const { h } = withWork([], 3);
    expect(h.tree.tick().status).toBe('SUCCESS');
  });

  it('fails on the first failing item and halts the items still running', async () => {
    const { h, calls } = withWork([1, 2, 3], 3);
    h.tree.tick();
    const aborted: boolean[] = [];
    calls.get(1)?.promise.catch(() => undefined);
    calls.get(2)?.resolve({ status: 'FAILURE' });
    await flush();
    const r = h.tree.tick();
    aborted.push(h.tree.statusOf('0.0') === 'IDLE', h.tree.statusOf('0.2') === 'IDLE');
    expect(r.status).toBe('FAILURE');
    expect(h.tree.statusOf('0.1')).toBe('FAILURE');
    // The other two were halted (IDLE), not left running.
    expect(aborted).toEqual([true, true]);
  });

  it('fails with EXPR_TYPE when :in is not a list', () => {
    const { h } = withWork({ a: 1 } as never, 2);
    const r = h.tree.tick();
    expect(r.status).toBe('FAILURE');
    expect(r.errors).toEqual([{ nodeId: '0', code: 'EXPR_TYPE', message: 'for-each :in must be a list, got map' }]);
  });

  it('prefixes explicit ids inside each copy with the copy\'s path', () => {
    const h = harness(
      n('for-each', { id: 'each', kw: { in: v('items'), as: 'it', parallel: 2 } }, n('sequence', { id: 'step' }, n('log', { id: 'say', args: ['x'] }))),
      { bb: { exec: { items: [1] } } },
    );
    expect(h.tree.nodes.map((x) => x.id)).toEqual(['each', '0.0/step', '0.0/say', '0.1/step', '0.1/say']);
  });

  it('keeps running items, free copies and scopes across a checkpoint', async () => {
    const { h, calls } = withWork(['a', 'b', 'c'], 2);
    h.tree.tick();
    calls.get('a')?.resolve({ status: 'SUCCESS', output: 'A' });
    await flush();
    h.tree.tick(); // a done; b still running
    const cp = JSON.parse(JSON.stringify(h.tree.checkpoint()));

    const bb = new MemoryBlackboard({ exec: { items: ['a', 'b', 'c'], done: h.bb.get('exec', 'done') } });
    const actions = new ActionRegistry();
    const again: unknown[] = [];
    actions.register('work', (args) => {
      again.push(args.it);
      return { status: 'SUCCESS', output: String(args.it).toUpperCase() };
    });
    const b = buildTree(cpDoc, { blackboard: bb, actions, clock: new ManualClock(0) });
    b.restore(cp);
    // b was still pending: called again (after the restore); c goes to the free copy.
    const r = b.tick();
    expect(r.logs.map((l) => l.values)).toEqual([['c']]);
    // Copy 0 (free) takes c first, then copy 1 calls b again.
    expect(again).toEqual(['c', 'b']);
    await flush();
    if (r.status === 'RUNNING') expect(b.tick().status).toBe('SUCCESS');
    expect(b.status).toBe('SUCCESS');
    expect(again).toEqual(['c', 'b']);
    expect(bb.get('exec', 'done')).toEqual(['A', 'C', 'B']);
  });

  it('a debugger condition on a node of copy k reads that copy\'s scope', () => {
    const h = harness(n('for-each', { kw: { in: v('items'), as: 'it', parallel: 2 } }, n('log', { args: ['i', v('it')] })), {
      bb: { exec: { items: ['a', 'b'] } },
    });
    const dbg = h.tree.debug();
    const bp = (id: string, nodeId: string, condition: string) => ({ id, nodeId, when: 'after' as const, mode: 'break' as const, once: false, enabled: true, condition });
    dbg.setBreakpoint(bp('in0', '0.0', '(= $it "b")'));
    dbg.setBreakpoint(bp('in1', '0.1', '(= $it "b")'));
    const out = dbg.step('continue');
    expect(out.kind === 'paused' && out.at).toMatchObject({ nodeId: '0.1', breakpointId: 'in1' });
  });

  it('a hot reload (swap-now) to fewer copies runs the items of the copies it took away', async () => {
    const { h, calls } = withWork(['a', 'b', 'c', 'd'], 3);
    h.tree.tick(); // a, b, c running in copies 0, 1, 2
    calls.get('a')?.resolve({ status: 'SUCCESS', output: 'A' });
    await flush();
    h.tree.tick(); // a done
    const r = prepareReload(h.tree, { format: 'canopy/1', trees: [{ name: 'main', root: loop(1) }] }, { policy: 'swap-now' }).apply();
    expect(r.removed).toEqual(['0.1', '0.1.0', '0.1.1', '0.1.2', '0.2', '0.2.0', '0.2.1', '0.2.2']);
    const t = r.tree;
    const seen: string[] = [];
    for (let i = 0; i < 20 && t.status !== 'SUCCESS'; i++) {
      const rec = t.tick();
      seen.push(...rec.logs.map((l) => String(l.values[0])));
      for (const d of calls.values()) d.resolve({ status: 'SUCCESS', output: 'x' });
      await flush();
    }
    expect(t.status).toBe('SUCCESS');
    // b and c (halted with their copies) ran again in the one copy left, then d.
    expect(seen).toEqual(['b', 'c', 'd']);
  });

  it('is refused unless :parallel is a literal whole number of at least 1', () => {
    for (const bad of [0, 1.5, v('n')]) {
      expect(() => harness(n('for-each', { kw: { in: v('items'), as: 'it', parallel: bad } }, n('success')))).toThrow(BuildError);
    }
  });

  it('counts every copy against the node limit', () => {
    const big = n('for-each', { kw: { in: v('items'), as: 'it', parallel: 400 } }, n('sequence', n('success'), n('success'), n('success')));
    expect(() => harness(big, { limits: { maxNodes: 1_000, maxDepth: 200, maxExpressionTerms: 1_000 } })).toThrow(
      "tree 'main' has 1601 nodes with its subtrees expanded (the limit is 1000: TREE_MAX_NODES)",
    );
  });

  it('one copy per item up to the bound, with make()', () => {
    const h = make(n('for-each', { kw: { in: v('items'), as: 'it', parallel: 8 } }, n('log', { args: ['i', v('it')] })), { items: [1, 2, 3, 4, 5] });
    const r = h.tree.tick();
    expect(r.status).toBe('SUCCESS');
    expect(r.logs.map((l) => l.values)).toEqual([[1], [2], [3], [4], [5]]);
  });
});

const cpDoc: TreeDocument = { format: 'canopy/1', trees: [{ name: 'main', root: loop(2) }] };
