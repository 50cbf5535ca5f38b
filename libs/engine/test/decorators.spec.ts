import { BehaviorTree } from '../src';
import { call, fail, make, n, ok, run, setExec, st, statuses, v, visited } from './helpers';

describe(BehaviorTree.name, () => {
  describe.each([
    ['invert', ['FAILURE', 'SUCCESS', 'RUNNING']],
    ['force-success', ['SUCCESS', 'SUCCESS', 'RUNNING']],
    ['force-failure', ['FAILURE', 'FAILURE', 'RUNNING']],
  ])('%s', (type, expected) => {
    it('maps SUCCESS, FAILURE and RUNNING', () => {
      const h = make(n(type, st('a', 'a')));
      const out = ['SUCCESS', 'FAILURE', 'RUNNING'].map((a) => {
        setExec(h, { a });
        return h.tree.tick().status;
      });
      expect(out).toEqual(expected);
    });
  });

  describe('repeat', () => {
    it('ticks the child once per tick and succeeds at the Nth success', () => {
      const h = make(n('repeat', { kw: { times: 3 } }, ok()));
      const records = h.ticks(4);
      expect(statuses(records)).toEqual(['RUNNING', 'RUNNING', 'SUCCESS', 'RUNNING']);
      expect(records.map((r) => r.visits?.length)).toEqual([2, 2, 2, 2]);
    });

    it('fails when the child fails', () => {
      expect(make(n('repeat', { kw: { times: 3 } }, fail())).tree.tick().status).toBe('FAILURE');
    });

    it('repeats forever with :times -1', () => {
      expect(
        statuses(make(n('repeat', { kw: { times: -1 } }, ok())).ticks(50)).every(
          (s) => s === 'RUNNING',
        ),
      ).toBe(true);
    });

    it('succeeds at once with :times 0, without ticking the child', () => {
      const h = make(n('repeat', { kw: { times: 0 } }, ok()));
      expect(visited(h)).toEqual(['0']);
      expect(h.tree.status).toBe('SUCCESS');
    });

    it('waits for a RUNNING child', () => {
      const h = make(n('repeat', { kw: { times: 2 } }, st('a', 'a')), { a: 'RUNNING' });
      expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'RUNNING']);
      setExec(h, { a: 'SUCCESS' });
      expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'SUCCESS']);
    });

    it('reports a non-integer :times', () => {
      const r = make(n('repeat', { kw: { times: v('k') } }, ok()), { k: 1.5 }).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: '0', code: 'BAD_ARGUMENT', message: ':times must be an integer, got 1.5' },
      ]);
    });
  });

  describe('retry', () => {
    it('is RUNNING while attempts remain and fails after the Nth failure', () => {
      expect(statuses(make(n('retry', { kw: { times: 3 } }, fail())).ticks(4))).toEqual([
        'RUNNING',
        'RUNNING',
        'FAILURE',
        'RUNNING',
      ]);
    });

    it('succeeds when the child succeeds', () => {
      const h = make(n('retry', { kw: { times: 3 } }, st('a', 'a')), { a: 'FAILURE' });
      h.tree.tick();
      setExec(h, { a: 'SUCCESS' });
      expect(h.tree.tick().status).toBe('SUCCESS');
    });
  });

  describe('until-success / until-failure', () => {
    it('reruns the child each tick until it succeeds', () => {
      const h = make(n('until-success', st('a', 'a')), { a: 'FAILURE' });
      expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'RUNNING']);
      setExec(h, { a: 'SUCCESS' });
      expect(h.tree.tick().status).toBe('SUCCESS');
    });

    it('reruns the child each tick until it fails, then succeeds', () => {
      const h = make(n('until-failure', st('a', 'a')), { a: 'SUCCESS' });
      expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'RUNNING']);
      setExec(h, { a: 'FAILURE' });
      expect(h.tree.tick().status).toBe('SUCCESS');
    });
  });

  describe('timeout', () => {
    it('halts the child and fails once T ms passed since it started', () => {
      const h = make(n('timeout', { kw: { ms: 100 } }, run()));
      const records = h.ticks(4, 40);
      expect(statuses(records)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'FAILURE']);
      expect(records[3].nodes).toEqual([
        { id: '0.0', from: 'RUNNING', to: 'IDLE' },
        { id: '0', from: 'RUNNING', to: 'FAILURE' },
      ]);
      // Restart: the timer starts again.
      expect(h.tree.tick().status).toBe('RUNNING');
    });

    it('passes the child status through before the deadline', () => {
      expect(make(n('timeout', { kw: { ms: 100 } }, ok())).tree.tick().status).toBe('SUCCESS');
    });
  });

  describe('delay', () => {
    it('is RUNNING until T ms after its first tick, then ticks the child', () => {
      const h = make(n('delay', { kw: { ms: 100 } }, ok()));
      const records = h.ticks(3, 50);
      expect(statuses(records)).toEqual(['RUNNING', 'RUNNING', 'SUCCESS']);
      expect(records.map((r) => r.visits?.map((x) => x.id))).toEqual([['0'], ['0'], ['0', '0.0']]);
    });
  });

  describe('cooldown', () => {
    it('fails without ticking the child until T ms passed since it finished, across restarts and halts', () => {
      const h = make(n('sequence', n('cooldown', { kw: { ms: 100 } }, ok())));
      expect(visited(h)).toEqual(['0', '0.0', '0.0.0']);
      h.clock.advance(50);
      expect(visited(h)).toEqual(['0', '0.0']);
      expect(h.tree.status).toBe('FAILURE');
      h.tree.halt();
      h.clock.advance(49);
      expect(h.tree.tick().status).toBe('FAILURE');
      h.clock.advance(1);
      expect(h.tree.tick().status).toBe('SUCCESS');
    });

    it('counts from when a RUNNING child finished', () => {
      const h = make(n('cooldown', { kw: { ms: 100 } }, st('a', 'a')), { a: 'RUNNING' });
      h.ticks(3, 100);
      setExec(h, { a: 'SUCCESS' });
      expect(h.tree.tick().status).toBe('SUCCESS');
      h.clock.advance(99);
      expect(h.tree.tick().status).toBe('FAILURE');
    });
  });

  describe('guard', () => {
    it('evaluates its condition every tick and halts the running child when it turns false', () => {
      const h = make(n('guard', { args: [v('go')] }, run()), { go: true });
      expect(statuses(h.ticks(2))).toEqual(['RUNNING', 'RUNNING']);
      setExec(h, { go: false });
      const r = h.tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.nodes).toEqual([
        { id: '0.0', from: 'RUNNING', to: 'IDLE' },
        { id: '0', from: 'RUNNING', to: 'FAILURE' },
      ]);
    });

    it('fails with the error when the condition cannot be evaluated', () => {
      const r = make(n('guard', { args: [call('>', v('missing'), 1)] }, ok())).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: '0', code: 'EXPR_TYPE', message: '(>) expects numbers or strings, got nil' },
      ]);
    });
  });

  describe('run-once', () => {
    it('runs the child to completion once, then returns that status forever', () => {
      const h = make(n('run-once', st('a', 'a')), { a: 'RUNNING' });
      expect(h.tree.tick().status).toBe('RUNNING');
      setExec(h, { a: 'SUCCESS' });
      expect(h.tree.tick().status).toBe('SUCCESS');
      setExec(h, { a: 'FAILURE' });
      h.tree.halt();
      expect(visited(h)).toEqual(['0']);
      expect(h.tree.status).toBe('SUCCESS');
    });
  });

  describe('for-each', () => {
    const loop = (items: unknown) =>
      make(
        n(
          'for-each',
          { kw: { in: v('items'), as: 'it' } },
          n('sequence', n('log', { args: ['item', v('it')] }), st('r', 'r')),
        ),
        {
          items,
          r: 'SUCCESS',
        },
      );

    it('runs the child once per item, one item per tick', () => {
      const h = loop([1, 2, 3]);
      const records = h.ticks(3);
      expect(statuses(records)).toEqual(['RUNNING', 'RUNNING', 'SUCCESS']);
      expect(records.map((r) => r.logs.map((l) => l.values))).toEqual([[[1]], [[2]], [[3]]]);
      expect(records[0].writes).toEqual([{ key: 'it', scope: 'local:0', new: 1 }]);
      expect(records[1].writes).toEqual([{ key: 'it', scope: 'local:0', old: 1, new: 2 }]);
      // The loop variable is local: it never reached the execution scope.
      expect(h.bb.has('exec', 'it')).toBe(false);
    });

    it('keeps an item while the child runs', () => {
      const h = loop(['a', 'b']);
      setExec(h, { r: 'RUNNING' });
      const records = h.ticks(2);
      expect(records[0].logs[0].values).toEqual(['a']);
      expect(records[1].writes).toEqual([]);
      setExec(h, { r: 'SUCCESS' });
      expect(h.tree.tick().status).toBe('RUNNING');
      expect(h.tree.tick().logs[0].values).toEqual(['b']);
    });

    it('fails on the first failing item', () => {
      const h = loop([1, 2, 3]);
      h.tree.tick();
      setExec(h, { r: 'FAILURE' });
      expect(h.tree.tick().status).toBe('FAILURE');
    });

    it('succeeds at once on an empty list', () => {
      const h = loop([]);
      expect(visited(h)).toEqual(['0']);
      expect(h.tree.status).toBe('SUCCESS');
    });

    it('fails with an error when :in is not a list', () => {
      const r = loop({ a: 1 }).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: '0', code: 'EXPR_TYPE', message: 'for-each :in must be a list, got map' },
      ]);
    });

    it('evaluates the list once, at start', () => {
      const h = loop([1, 2]);
      h.tree.tick();
      setExec(h, { items: [7, 8, 9] });
      expect(h.tree.tick().logs[0].values).toEqual([2]);
      expect(h.tree.status).toBe('SUCCESS');
    });
  });
});
