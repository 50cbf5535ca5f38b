import { Debugger, type ActionOutcome, type TickRecord } from '../src';
import { completed, walk, where } from './debug-helpers';
import { act, call, cond, deferred, doc, flush, harness, n, set, trace, v } from './helpers';

/**
 * Step modes, tick by tick, against boundary sequences derived by hand from the node semantics
 * (DSL.md): each node ticked has a `before` and an `after` boundary, in tick order.
 */

const pick = () =>
  n(
    'sequence',
    { id: 'root' },
    set('x', 1, 'x'),
    n('selector', { id: 'pick' }, cond(call('=', v('x'), 2), 'is2'), act('go', undefined, 'go')),
    set('y', call('+', v('x'), 1), 'y'),
  );

function pickTree() {
  const h = harness(pick());
  h.actions.register('go', () => 'SUCCESS');
  return { ...h, dbg: h.tree.debug() };
}

describe(Debugger.name, () => {
  describe('steps on a sequence and a selector', () => {
    it('into stops at every boundary in tick order, then completes the tick', () => {
      const { dbg } = pickTree();
      expect(walk(dbg, 'into')).toEqual([
        'before root',
        'before x',
        'after x SUCCESS',
        'before pick',
        'before is2',
        'after is2 FAILURE',
        'before go',
        'after go SUCCESS',
        'after pick SUCCESS',
        'before y',
        'after y SUCCESS',
        'after root SUCCESS',
        'completed SUCCESS',
      ]);
    });

    it('over from before a node stops at its after; from after a node, at the next boundary', () => {
      const { dbg } = pickTree();
      expect(where(dbg.step('into'))).toBe('before root');
      expect(where(dbg.step('into'))).toBe('before x');
      expect(where(dbg.step('over'))).toBe('after x SUCCESS');
      expect(where(dbg.step('over'))).toBe('before pick');
      expect(where(dbg.step('over'))).toBe('after pick SUCCESS');
      expect(where(dbg.step('over'))).toBe('before y');
      expect(where(dbg.step('over'))).toBe('after y SUCCESS');
      expect(where(dbg.step('over'))).toBe('after root SUCCESS');
      expect(where(dbg.step('over'))).toBe('completed SUCCESS');
    });

    it('over from before the root runs the whole tree; from between ticks, the whole tick', () => {
      const { dbg } = pickTree();
      expect(where(dbg.step('into'))).toBe('before root');
      expect(where(dbg.step('over'))).toBe('after root SUCCESS');
      expect(where(dbg.step('into'))).toBe('completed SUCCESS');
      expect(where(dbg.step('over'))).toBe('completed SUCCESS');
      expect(dbg.paused).toBeUndefined();
    });

    it('out runs until the parent of the paused node has returned', () => {
      const { dbg } = pickTree();
      for (let i = 0; i < 5; i++) dbg.step('into');
      expect(dbg.paused).toMatchObject({ nodeId: 'is2', when: 'before' });
      expect(where(dbg.step('out'))).toBe('after pick SUCCESS');
      expect(where(dbg.step('out'))).toBe('after root SUCCESS');
      // The root has no parent: out ends the tick.
      expect(where(dbg.step('out'))).toBe('completed SUCCESS');
    });

    it('continue runs to the end of the tick when nothing stops it', () => {
      const { dbg } = pickTree();
      dbg.step('into');
      dbg.step('into');
      expect(where(dbg.step('continue'))).toBe('completed SUCCESS');
    });

    it('reports where it stands, with the tick number, while paused', () => {
      const { tree, dbg } = pickTree();
      tree.tick();
      dbg.step('into');
      dbg.step('into');
      dbg.step('into');
      expect(dbg.paused).toEqual({
        tick: 2,
        reason: 'step',
        nodeId: 'x',
        when: 'after',
        status: 'SUCCESS',
      });
    });

    it('completes a stepped tick with the record an undebugged tick has', () => {
      const plain = pickTree();
      const expected = trace([plain.tree.tick(), plain.tree.tick()]);
      for (const modes of [
        ['into'],
        ['over'],
        ['into', 'out'],
        ['into', 'into', 'continue'],
      ] as const) {
        const { dbg } = pickTree();
        const records: TickRecord[] = [];
        for (let t = 0; t < 2; t++) {
          let o = dbg.step(modes[0]);
          for (let i = 1; o.kind === 'paused'; i++) o = dbg.step(modes[i % modes.length]);
          records.push(completed(o));
        }
        expect(trace(records)).toEqual(expected);
      }
    });
  });

  describe('steps on other composites', () => {
    it('reactive-sequence: a running child halted by an earlier one has no boundaries', async () => {
      const h = harness(
        n(
          'reactive-sequence',
          { id: 'r' },
          cond(call('<', v('b'), 50), 'c'),
          act('work', undefined, 'work'),
        ),
        { bb: { exec: { b: 10 } } },
      );
      const work = deferred<ActionOutcome>();
      let signal: AbortSignal | undefined;
      h.actions.register('work', (_a, ctx) => {
        signal = ctx.signal;
        return work.promise;
      });
      const dbg = h.tree.debug();
      expect(walk(dbg, 'into')).toEqual([
        'before r',
        'before c',
        'after c SUCCESS',
        'before work',
        'after work RUNNING',
        'after r RUNNING',
        'completed RUNNING',
      ]);
      h.bb.set('exec', 'b', 80);
      const steps: string[] = [];
      for (;;) {
        const o = dbg.step('into');
        steps.push(where(o));
        // The halt of `work` happens in a run that is thrown away: nothing is cancelled until
        // the tick completes.
        if (o.kind === 'paused') expect(signal?.aborted).toBe(false);
        else break;
      }
      expect(steps).toEqual([
        'before r',
        'before c',
        'after c FAILURE',
        'after r FAILURE',
        'completed FAILURE',
      ]);
      expect(signal?.aborted).toBe(true);
      expect(h.tree.statusOf('work')).toBe('IDLE');
      work.resolve('SUCCESS');
      await flush();
    });

    it('memory-sequence: resumes at the remembered child, skipping the ones before it', () => {
      const h = harness(
        n(
          'memory-sequence',
          { id: 'm' },
          n('success', { id: 'a' }),
          cond(v('go'), 'b'),
          n('success', { id: 'c' }),
        ),
        { bb: { exec: { go: false } } },
      );
      const dbg = h.tree.debug();
      expect(walk(dbg, 'into')).toEqual([
        'before m',
        'before a',
        'after a SUCCESS',
        'before b',
        'after b FAILURE',
        'after m FAILURE',
        'completed FAILURE',
      ]);
      h.bb.set('exec', 'go', true);
      expect(walk(dbg, 'over')).toEqual(['completed SUCCESS']);
      h.bb.set('exec', 'go', false);
      // The memory cleared on success: the next run starts at the first child again.
      dbg.step('into');
      expect(where(dbg.step('into'))).toBe('before a');
    });

    it('parallel: finished children are not ticked again until the parallel completes', () => {
      const h = harness(
        n(
          'parallel',
          { id: 'p' },
          n('success', { id: 'fast' }),
          n('wait', { id: 'slow', kw: { ms: 100 } }),
        ),
      );
      const dbg = h.tree.debug();
      expect(walk(dbg, 'into')).toEqual([
        'before p',
        'before fast',
        'after fast SUCCESS',
        'before slow',
        'after slow RUNNING',
        'after p RUNNING',
        'completed RUNNING',
      ]);
      h.clock.advance(100);
      dbg.step('into');
      expect(where(dbg.step('into'))).toBe('before slow');
      expect(where(dbg.step('out'))).toBe('after p SUCCESS');
      expect(where(dbg.step('into'))).toBe('completed SUCCESS');
    });

    it('decorators: the after boundary carries the decorator status, not the child one', () => {
      const h = harness(
        n(
          'sequence',
          { id: 's' },
          n('invert', { id: 'inv' }, n('failure', { id: 'f' })),
          n('repeat', { id: 'rep', kw: { times: 2 } }, n('success', { id: 'once' })),
        ),
      );
      const dbg = h.tree.debug();
      expect(walk(dbg, 'into')).toEqual([
        'before s',
        'before inv',
        'before f',
        'after f FAILURE',
        'after inv SUCCESS',
        'before rep',
        'before once',
        'after once SUCCESS',
        'after rep RUNNING',
        'after s RUNNING',
        'completed RUNNING',
      ]);
    });

    it('subtrees: steps go into the instance, whose nodes have the subtree node id as prefix', () => {
      const d = doc(
        n('sequence', { id: 's' }, n('subtree', { id: 'sub', args: ['inner'], kw: { k: 5 } })),
        { name: 'inner', root: n('sequence', { id: 'body' }, set('exec:got', v('k'), 'w')) },
      );
      const h = harness(d);
      const dbg = h.tree.debug();
      expect(walk(dbg, 'into')).toEqual([
        'before s',
        'before sub',
        'before sub/body',
        'before sub/w',
        'after sub/w SUCCESS',
        'after sub/body SUCCESS',
        'after sub SUCCESS',
        'after s SUCCESS',
        'completed SUCCESS',
      ]);
      expect(h.bb.get('exec', 'got')).toBe(5);
    });

    it('an async action in flight: RUNNING while pending, its result applies at the next tick', async () => {
      const h = harness(
        n('sequence', { id: 's' }, act('slow', undefined, 'a'), set('done', true, 'd')),
      );
      const p = deferred<ActionOutcome>();
      let calls = 0;
      h.actions.register('slow', () => {
        calls++;
        return p.promise;
      });
      const dbg = h.tree.debug();
      expect(walk(dbg, 'into')).toEqual([
        'before s',
        'before a',
        'after a RUNNING',
        'after s RUNNING',
        'completed RUNNING',
      ]);
      expect(walk(dbg, 'into', 'over')).toEqual([
        'before s',
        'after s RUNNING',
        'completed RUNNING',
      ]);
      p.resolve('SUCCESS');
      await flush();
      expect(walk(dbg, 'into')).toEqual([
        'before s',
        'before a',
        'after a SUCCESS',
        'before d',
        'after d SUCCESS',
        'after s SUCCESS',
        'completed SUCCESS',
      ]);
      // Seven boundaries, each a re-run of the tick: the action was called once, in tick 1.
      expect(calls).toBe(1);
    });
  });
});
