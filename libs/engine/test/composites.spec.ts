import { BehaviorTree } from '../src';
import { call, cond, fail, kw, make, n, ok, setExec, st, statuses, v, visited } from './helpers';

describe(BehaviorTree.name, () => {
  describe('sequence', () => {
    it('succeeds when every child succeeds, recording each change once', () => {
      const h = make(n('sequence', ok(), ok()));
      const [r1, r2] = h.ticks(2);
      expect(r1.status).toBe('SUCCESS');
      expect(r1.nodes).toEqual([
        { id: '0.0', from: 'IDLE', to: 'SUCCESS' },
        { id: '0.1', from: 'IDLE', to: 'SUCCESS' },
        { id: '0', from: 'IDLE', to: 'SUCCESS' },
      ]);
      // Restarted afresh, same outcome: nothing changed.
      expect(r2.nodes).toEqual([]);
    });

    it('resumes at the RUNNING child and restarts after failing', () => {
      const h = make(n('sequence', st('a', 'a'), st('b', 'b'), st('c', 'c')), {
        a: 'SUCCESS',
        b: 'RUNNING',
        c: 'FAILURE',
      });
      expect(visited(h)).toEqual(['0', 'a', 'b']);
      setExec(h, { b: 'SUCCESS' });
      expect(visited(h)).toEqual(['0', 'b', 'c']);
      expect(h.tree.status).toBe('FAILURE');
      expect(visited(h)).toEqual(['0', 'a', 'b', 'c']);
    });

    it('stops at the first failure without ticking later children', () => {
      const h = make(n('sequence', fail(), ok()));
      expect(visited(h)).toEqual(['0', '0.0']);
      expect(h.tree.status).toBe('FAILURE');
      expect(h.status('0.1')).toBe('IDLE');
    });
  });

  describe('selector (and its alias fallback)', () => {
    it('succeeds on the first success', () => {
      const h = make(n('selector', fail(), ok(), ok()));
      expect(visited(h)).toEqual(['0', '0.0', '0.1']);
      expect(h.tree.status).toBe('SUCCESS');
    });

    it('resumes at the RUNNING child', () => {
      const h = make(n('fallback', st('a', 'a'), st('b', 'b')), { a: 'FAILURE', b: 'RUNNING' });
      expect(visited(h)).toEqual(['0', 'a', 'b']);
      expect(visited(h)).toEqual(['0', 'b']);
      setExec(h, { b: 'FAILURE' });
      expect(visited(h)).toEqual(['0', 'b']);
      expect(h.tree.status).toBe('FAILURE');
      expect(h.tree.nodes[0].type).toBe('fallback');
    });
  });

  it('restarts a halted sequence or selector from its first child', () => {
    for (const type of ['sequence', 'selector']) {
      const first = type === 'sequence' ? 'SUCCESS' : 'FAILURE';
      const h = make(
        n('guard', { args: [v('go')] }, n(type, { id: 'c' }, st('a', 'a'), st('b', 'b'))),
        {
          go: true,
          a: first,
          b: 'RUNNING',
        },
      );
      expect(visited(h)).toEqual(['0', 'c', 'a', 'b']);
      setExec(h, { go: false });
      h.tree.tick();
      expect(h.status('c')).toBe('IDLE');
      setExec(h, { go: true });
      expect(visited(h)).toEqual(['0', 'c', 'a', 'b']);
    }
  });

  describe('reactive-sequence', () => {
    it('re-checks earlier children and halts a RUNNING later child when one fails', () => {
      const h = make(n('reactive-sequence', cond(v('ok'), 'c'), st('b', 'b')), {
        ok: true,
        b: 'RUNNING',
      });
      expect(h.tree.tick().status).toBe('RUNNING');
      expect(visited(h)).toEqual(['0', 'c', 'b']);
      setExec(h, { ok: false });
      const r = h.tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.nodes).toEqual([
        { id: 'c', from: 'SUCCESS', to: 'FAILURE' },
        { id: 'b', from: 'RUNNING', to: 'IDLE' },
        { id: '0', from: 'RUNNING', to: 'FAILURE' },
      ]);
    });

    it('succeeds when every child succeeds, and fails when all fail (selector)', () => {
      expect(make(n('reactive-sequence', ok(), ok())).tree.tick().status).toBe('SUCCESS');
      expect(make(n('reactive-selector', fail(), fail())).tree.tick().status).toBe('FAILURE');
    });

    it('halts a later RUNNING child when an earlier one starts running', () => {
      const h = make(n('reactive-sequence', st('a', 'a'), st('b', 'b')), {
        a: 'SUCCESS',
        b: 'RUNNING',
      });
      h.tree.tick();
      setExec(h, { a: 'RUNNING' });
      const r = h.tree.tick();
      expect(r.status).toBe('RUNNING');
      expect(r.nodes).toEqual([
        { id: 'a', from: 'SUCCESS', to: 'RUNNING' },
        { id: 'b', from: 'RUNNING', to: 'IDLE' },
      ]);
    });
  });

  describe('reactive-selector', () => {
    it('lets a higher-priority child that succeeds halt a lower RUNNING one', () => {
      const h = make(n('reactive-selector', cond(v('hi'), 'hi'), st('b', 'b')), {
        hi: false,
        b: 'RUNNING',
      });
      expect(h.tree.tick().status).toBe('RUNNING');
      setExec(h, { hi: true });
      const r = h.tree.tick();
      expect(r.status).toBe('SUCCESS');
      expect(r.nodes).toContainEqual({ id: 'b', from: 'RUNNING', to: 'IDLE' });
    });

    it('lets a higher-priority child that runs halt a lower RUNNING one', () => {
      const h = make(n('reactive-selector', st('a', 'a'), st('b', 'b')), {
        a: 'FAILURE',
        b: 'RUNNING',
      });
      h.tree.tick();
      setExec(h, { a: 'RUNNING' });
      expect(h.tree.tick().nodes).toEqual([
        { id: 'a', from: 'FAILURE', to: 'RUNNING' },
        { id: 'b', from: 'RUNNING', to: 'IDLE' },
      ]);
    });
  });

  describe('memory-sequence', () => {
    it('resumes at the child that failed, across restarts, until it succeeds', () => {
      const h = make(n('memory-sequence', st('a', 'a'), st('b', 'b')), {
        a: 'SUCCESS',
        b: 'FAILURE',
      });
      expect(visited(h)).toEqual(['0', 'a', 'b']);
      expect(h.tree.status).toBe('FAILURE');
      expect(visited(h)).toEqual(['0', 'b']);
      setExec(h, { b: 'SUCCESS' });
      expect(visited(h)).toEqual(['0', 'b']);
      expect(h.tree.status).toBe('SUCCESS');
      // Memory cleared by the success.
      expect(visited(h)).toEqual(['0', 'a', 'b']);
    });

    it('resumes at the running child after a halt', () => {
      const h = make(n('memory-sequence', st('a', 'a'), st('b', 'b')), {
        a: 'SUCCESS',
        b: 'RUNNING',
      });
      h.tree.tick();
      h.tree.halt();
      expect(h.tree.status).toBe('IDLE');
      expect(visited(h)).toEqual(['0', 'b']);
    });
  });

  describe('memory-selector', () => {
    it('resumes at the child that succeeded; a full failure clears the memory', () => {
      const h = make(n('memory-selector', st('a', 'a'), st('b', 'b')), {
        a: 'FAILURE',
        b: 'SUCCESS',
      });
      expect(visited(h)).toEqual(['0', 'a', 'b']);
      expect(visited(h)).toEqual(['0', 'b']);
      setExec(h, { b: 'FAILURE' });
      expect(visited(h)).toEqual(['0', 'b']);
      expect(h.tree.status).toBe('FAILURE');
      expect(visited(h)).toEqual(['0', 'a', 'b']);
    });
  });

  describe('parallel', () => {
    it('ticks unfinished children only and succeeds when all succeed (default)', () => {
      const h = make(n('parallel', ok(), st('b', 'b')), { b: 'RUNNING' });
      expect(visited(h)).toEqual(['0', '0.0', 'b']);
      setExec(h, { b: 'SUCCESS' });
      expect(visited(h)).toEqual(['0', 'b']);
      expect(h.tree.status).toBe('SUCCESS');
      // Completed: the next run ticks every child again.
      expect(visited(h)).toEqual(['0', '0.0', 'b']);
    });

    it('fails on the first failure (default) and halts children still running', () => {
      const h = make(n('parallel', st('a', 'a'), st('b', 'b')), { a: 'RUNNING', b: 'RUNNING' });
      h.tree.tick();
      setExec(h, { a: 'FAILURE' });
      const r = h.tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.nodes).toEqual([
        { id: 'a', from: 'RUNNING', to: 'FAILURE' },
        { id: 'b', from: 'RUNNING', to: 'IDLE' },
        { id: '0', from: 'RUNNING', to: 'FAILURE' },
      ]);
    });

    it.each([
      ['success 1', { success: 1 }],
      ['policy require-one', { policy: kw('require-one') }],
    ])('with %s succeeds on one success and halts the rest', (_label, kwargs) => {
      const h = make(n('parallel', { kw: kwargs }, st('a', 'a'), st('b', 'b')), {
        a: 'SUCCESS',
        b: 'RUNNING',
      });
      const r = h.tree.tick();
      expect(r.status).toBe('SUCCESS');
      expect(h.status('b')).toBe('IDLE');
    });

    it('counts failures up to :failure and fails as soon as success is impossible', () => {
      const tolerant = make(
        n('parallel', { kw: { success: 1, failure: 2 } }, fail(), n('running')),
      );
      expect(tolerant.tree.tick().status).toBe('RUNNING');
      const strict = make(
        n('parallel', { kw: { failure: 2 } }, fail(), n('running'), n('running')),
      );
      // Needs all three to succeed: one failure already makes that impossible.
      expect(strict.tree.tick().status).toBe('FAILURE');
    });

    it('reports a :success outside 1..children as a runtime error', () => {
      const h = make(n('parallel', { kw: { success: v('k') } }, ok()), { k: 3 });
      const r = h.tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: '0', code: 'BAD_ARGUMENT', message: ':success must be between 1 and 1, got 3' },
      ]);
    });
  });

  describe('scoring-selector', () => {
    const opt = (score: string, child: string) =>
      n('option', { id: `o${child}`, args: [v(score)] }, st(child, child));
    const tree = (h = 0) =>
      n('scoring-selector', { kw: { hysteresis: h } }, opt('sa', 'a'), opt('sb', 'b'));

    it('ticks the best-scoring option, the first on ties', () => {
      const h = make(tree(), { sa: 1, sb: 1, a: 'SUCCESS', b: 'SUCCESS' });
      expect(visited(h)).toEqual(['0', 'oa', 'a']);
      setExec(h, { sb: 2 });
      expect(visited(h)).toEqual(['0', 'ob', 'b']);
    });

    it('keeps a RUNNING option while it scores within the hysteresis of the best', () => {
      const h = make(tree(5), { sa: 10, sb: 0, a: 'RUNNING', b: 'RUNNING' });
      expect(visited(h)).toEqual(['0', 'oa', 'a']);
      setExec(h, { sb: 14 });
      expect(visited(h)).toEqual(['0', 'oa', 'a']);
      setExec(h, { sb: 16 });
      const r = h.tree.tick();
      expect(r.nodes).toEqual([
        { id: 'a', from: 'RUNNING', to: 'IDLE' },
        { id: 'oa', from: 'RUNNING', to: 'IDLE' },
        { id: 'b', from: 'IDLE', to: 'RUNNING' },
        { id: 'ob', from: 'IDLE', to: 'RUNNING' },
      ]);
    });

    it('fails when the chosen option fails, and the next choice has no hysteresis', () => {
      const h = make(tree(100), { sa: 10, sb: 0, a: 'FAILURE', b: 'RUNNING' });
      expect(h.tree.tick().status).toBe('FAILURE');
      setExec(h, { sb: 11, a: 'RUNNING' });
      expect(visited(h)).toEqual(['0', 'ob', 'b']);
    });

    it('fails with an error on the option when a score is not a number', () => {
      const h = make(tree(), { sa: 'high', sb: 1 });
      const r = h.tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        {
          nodeId: 'oa',
          code: 'BAD_ARGUMENT',
          message: 'option score must be a number, got "high"',
        },
      ]);
    });

    it('scores with full expressions', () => {
      const h = make(
        n(
          'scoring-selector',
          n('option', { args: [call('*', v('x'), 2)] }, ok()),
          n('option', { args: [call('+', v('x'), 5)] }, fail()),
        ),
        { x: 10 },
      );
      expect(h.tree.tick().status).toBe('SUCCESS');
      h.bb.set('exec', 'x', 1);
      expect(h.tree.tick().status).toBe('FAILURE');
    });
  });

  it('reports root status per tick', () => {
    const h = make(n('sequence', st('a', 'a')), { a: 'RUNNING' });
    const first = h.ticks(2);
    setExec(h, { a: 'SUCCESS' });
    expect(statuses([...first, ...h.ticks(1)])).toEqual(['RUNNING', 'RUNNING', 'SUCCESS']);
  });
});
