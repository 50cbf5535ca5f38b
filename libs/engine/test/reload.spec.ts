import { prepareReload, TreeReload, type ActionContext, type NodeJson } from '../src';
import { act, cond, deferred, doc, flush, harness, n, ok, set, statuses, v, call } from './helpers';

/**
 * `(sequence :id "s" (condition true :id "c") (action work :id "a") (set "done" true :id "d"))`,
 * with `extra` nodes appended to the sequence.
 */
function tree(...extra: NodeJson[]): NodeJson {
  return n(
    'sequence',
    { id: 's' },
    cond(true, 'c'),
    act('work', {}, 'a'),
    set('done', true, 'd'),
    ...extra,
  );
}

/** A harness whose `work` action answers a promise per call, settled by the test. */
function withWork(root: NodeJson) {
  const h = harness(root, { execId: 'e1' });
  const calls: { ctx: ActionContext; settle: ReturnType<typeof deferred<boolean>> }[] = [];
  h.actions.register('work', (_args, ctx) => {
    const settle = deferred<boolean>();
    calls.push({ ctx, settle });
    return settle.promise;
  });
  return { h, calls };
}

describe(TreeReload.name, () => {
  it('names the added, removed and kept nodes (same id and type; aliases are one type)', () => {
    const h = harness(n('selector', { id: 'r' }, cond(true, 'x'), ok()));
    const next = doc(n('fallback', { id: 'r' }, n('success', { id: 'x' }), cond(false, 'y')));
    const r = prepareReload(h.tree, next, { policy: 'swap-now' });
    // `x` changed type (condition -> success), `r` only its alias; the default id `0.1` is gone, `y` is new.
    expect({ added: r.added, removed: r.removed, kept: r.kept }).toEqual({
      added: ['x', 'y'],
      removed: ['x', '0.1'],
      kept: ['r'],
    });
  });

  it('throws on a document that does not build, leaving the old tree as it was', () => {
    const { h, calls } = withWork(tree());
    h.tree.tick();
    expect(() =>
      prepareReload(h.tree, doc(n('sequence', {}, n('nope'))), { policy: 'swap-now' }),
    ).toThrow(/unknown node type/);
    calls[0].settle.resolve(true);
    return flush().then(() => expect(h.tree.tick().status).toBe('SUCCESS'));
  });

  describe('let-finish-then-swap', () => {
    it('is ready only once the old root finished; the new tree then starts from its root', async () => {
      const { h, calls } = withWork(tree());
      expect(h.tree.tick().status).toBe('RUNNING');
      const r = prepareReload(h.tree, doc(n('sequence', { id: 's' }, set('v', 2, 'n'))), {
        policy: 'let-finish-then-swap',
      });
      expect(r.ready).toBe(false);
      expect(() => r.apply()).toThrow(/still running/);
      expect(h.tree.tick().status).toBe('RUNNING');
      calls[0].settle.resolve(true);
      await flush();
      expect(h.tree.tick().status).toBe('SUCCESS');
      expect(h.bb.get('exec', 'done')).toBe(true);
      expect(r.ready).toBe(true);
      const { tree: next } = r.apply();
      expect(next.tickCount).toBe(3);
      const rec = next.tick();
      expect(rec.tick).toBe(4);
      expect(rec.status).toBe('SUCCESS');
      expect(h.bb.get('exec', 'v')).toBe(2);
      expect(calls).toHaveLength(1);
    });
  });

  describe('cancel-and-restart', () => {
    it('halts the old tree (its action cancelled) and starts the new one from the root', () => {
      const { h, calls } = withWork(tree());
      h.tree.tick();
      const r = prepareReload(h.tree, doc(tree()), { policy: 'cancel-and-restart' });
      expect(r.ready).toBe(true);
      const { tree: next, released } = r.apply();
      expect(calls[0].ctx.signal.aborted).toBe(true);
      expect(released.nodes).toEqual(
        expect.arrayContaining([
          { id: 'a', from: 'RUNNING', to: 'IDLE' },
          { id: 's', from: 'RUNNING', to: 'IDLE' },
        ]),
      );
      expect(next.statuses()).toEqual({ s: 'IDLE', c: 'IDLE', a: 'IDLE', d: 'IDLE' });
      const rec = next.tick();
      expect(rec.tick).toBe(2);
      // Called again: a new invocation (new start tick), not the cancelled one.
      expect(calls.map((c) => c.ctx.invocationId)).toEqual(['e1:a:1', 'e1:a:2']);
    });

    it('releases a semaphore the old tree held (the write is reported for the host)', () => {
      const sem = n('semaphore', { id: 'm', kw: { name: 'arm', max: 1 } }, act('work', {}, 'a'));
      const { h } = withWork(sem);
      h.tree.tick();
      expect(h.bb.get('team', '__semaphore:arm')).toEqual(['e1:m']);
      const { released } = prepareReload(h.tree, doc(ok()), {
        policy: 'cancel-and-restart',
      }).apply();
      expect(h.bb.get('team', '__semaphore:arm')).toEqual([]);
      expect(released.writes).toEqual([
        { scope: 'team', key: '__semaphore:arm', old: ['e1:m'], new: [] },
      ]);
    });
  });

  describe('swap-now', () => {
    it('keeps a RUNNING action in flight and applies its result once, in the new tree', async () => {
      const { h, calls } = withWork(tree());
      expect(h.tree.tick().status).toBe('RUNNING');
      // A new step after the action: the sequence and the action are kept.
      const r = prepareReload(h.tree, doc(tree(set('after', call('+', v('n'), 1), 'e'))), {
        policy: 'swap-now',
      });
      expect(r.added).toEqual(['e']);
      expect(r.removed).toEqual([]);
      const { tree: next } = r.apply();
      expect(calls[0].ctx.signal.aborted).toBe(false);
      expect(next.statusOf('a')).toBe('RUNNING');
      expect(next.tick().status).toBe('RUNNING');
      expect(calls).toHaveLength(1);
      calls[0].settle.resolve(true);
      await flush();
      const rec = next.tick();
      expect(rec.tick).toBe(3);
      expect(rec.status).toBe('FAILURE'); // `$n` is nil: the new node runs, and fails
      expect(rec.nodes).toContainEqual({ id: 'a', from: 'RUNNING', to: 'SUCCESS' });
      expect(h.bb.get('exec', 'done')).toBe(true);
      // Applied once: a later run calls the action afresh.
      next.tick();
      expect(calls).toHaveLength(2);
      expect(h.tree.statusOf('a')).toBe('IDLE'); // the old tree is left behind
    });

    it('cancels a removed RUNNING action and resets nodes whose type changed', () => {
      const { h, calls } = withWork(
        n(
          'parallel',
          { id: 'p' },
          act('work', {}, 'a'),
          act('work', {}, 'b'),
          n('running', { id: 'r' }),
        ),
      );
      h.tree.tick();
      expect(calls).toHaveLength(2);
      // `b` removed, `r` changes type (running -> success), `a` kept.
      const r = prepareReload(
        h.tree,
        doc(n('parallel', { id: 'p' }, act('work', {}, 'a'), n('success', { id: 'r' }))),
        { policy: 'swap-now' },
      );
      expect({ added: r.added, removed: r.removed, kept: r.kept }).toEqual({
        added: ['r'],
        removed: ['b', 'r'],
        kept: ['p', 'a'],
      });
      const { tree: next, released } = r.apply();
      expect(calls[0].ctx.signal.aborted).toBe(false);
      expect(calls[1].ctx.signal.aborted).toBe(true);
      expect(released.nodes).toEqual(
        expect.arrayContaining([
          { id: 'b', from: 'RUNNING', to: 'IDLE' },
          { id: 'r', from: 'RUNNING', to: 'IDLE' },
        ]),
      );
      expect(next.statuses()).toEqual({ p: 'RUNNING', a: 'RUNNING', r: 'IDLE' });
    });

    it('halts a kept RUNNING node whose new parent starts afresh (nothing would resume it)', () => {
      const { h, calls } = withWork(n('sequence', { id: 's' }, act('work', {}, 'a')));
      h.tree.tick();
      const r = prepareReload(h.tree, doc(n('selector', { id: 's' }, act('work', {}, 'a'))), {
        policy: 'swap-now',
      });
      expect(r.kept).toEqual(['a']);
      const { tree: next, released } = r.apply();
      expect(calls[0].ctx.signal.aborted).toBe(true);
      expect(released.nodes).toContainEqual({ id: 'a', from: 'RUNNING', to: 'IDLE' });
      expect(next.statuses()).toEqual({ s: 'IDLE', a: 'IDLE' });
    });

    it('keeps composite and decorator state (a repeat count, a sequence position)', () => {
      const h = harness(
        n(
          'repeat',
          { id: 'rep', kw: { times: 3 } },
          n('sequence', { id: 's' }, ok(), set('k', 1, 'x')),
        ),
      );
      expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'RUNNING']);
      const { tree: next } = prepareReload(
        h.tree,
        doc(
          n(
            'repeat',
            { id: 'rep', kw: { times: 3 } },
            n('sequence', { id: 's' }, ok(), set('k', 2, 'x')),
          ),
        ),
        { policy: 'swap-now' },
      ).apply();
      // Two of three successes were counted by the old tree: the third ends the repeat.
      expect(next.tick().status).toBe('SUCCESS');
      expect(h.bb.get('exec', 'k')).toBe(2);
    });

    it('drops a tick paused in the debugger and swaps from the state before it', async () => {
      const { h, calls } = withWork(tree());
      h.tree.tick();
      calls[0].settle.resolve(true);
      await flush();
      const dbg = h.tree.debug();
      dbg.setBreakpoint({
        id: 'b1',
        nodeId: 'd',
        when: 'before',
        mode: 'break',
        once: false,
        enabled: true,
      });
      const out = dbg.step('continue');
      expect(out.kind).toBe('paused');
      const { tree: next } = prepareReload(h.tree, doc(tree()), { policy: 'swap-now' }).apply();
      expect(next.tickCount).toBe(1);
      expect(h.bb.get('exec', 'done')).toBeUndefined();
      const rec = next.tick();
      expect(rec.tick).toBe(2);
      expect(rec.status).toBe('SUCCESS');
      expect(h.bb.get('exec', 'done')).toBe(true);
      expect(calls).toHaveLength(1);
    });
  });
  it("keeps the execution's watchdog settings: the new tree finds a stuck leaf on the same budget", () => {
    const h = harness(n('sequence', { id: 's' }, n('running', { id: 'r' })), {
      watchdog: { stuckAfterMs: 300, action: 'fail' },
    });
    h.tree.tick();
    const { tree: next } = prepareReload(
      h.tree,
      doc(n('sequence', { id: 's' }, n('running', { id: 'q' }))),
      {
        policy: 'cancel-and-restart',
      },
    ).apply();
    // q starts RUNNING at t=100 and is 300 ms into its run at t=400: stuck, failed by the watchdog.
    const stuckAt: number[] = [];
    for (let t = 100; t <= 500; t += 100) {
      h.clock.set(t);
      const record = next.tick();
      if (record.stuck?.some((s) => s.nodeId === 'q' && s.action === 'fail')) stuckAt.push(t);
    }
    expect(stuckAt).toEqual([400]);
  });
});
