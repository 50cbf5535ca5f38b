import { BehaviorTree, MemoryBlackboard } from '../src';
import { call, cond, doc, harness, n, set, v } from './helpers';

describe(BehaviorTree.name, () => {
  describe('blackboard scopes', () => {
    it('reads the nearest scope that has the key: exec, then team, then global', () => {
      const h = harness(n('log', { args: ['v', v('a'), v('b'), v('c')] }), {
        bb: { global: { a: 'g', b: 'g', c: 'g' }, team: { a: 't', b: 't' }, exec: { a: 'e' } },
      });
      expect(h.tree.tick().logs[0].values).toEqual(['e', 't', 'g']);
    });

    it('reads and writes a named scope with a prefix', () => {
      const h = harness(n('sequence', set('team:a', v('global:a')), set('global:n', 1)), {
        bb: { global: { a: 'g' }, exec: { a: 'e' } },
      });
      expect(h.tree.tick().writes).toEqual([
        { key: 'a', scope: 'team', new: 'g' },
        { key: 'n', scope: 'global', new: 1 },
      ]);
      expect(h.bb.snapshot('team')).toEqual({ a: 'g' });
    });

    it('writes the nearest scope that has the key, else exec, recording old values', () => {
      const h = harness(n('sequence', set('g', 2), set('fresh', 1), set('fresh', 2)), {
        bb: { global: { g: 1 } },
      });
      expect(h.tree.tick().writes).toEqual([
        { key: 'g', scope: 'global', old: 1, new: 2 },
        { key: 'fresh', scope: 'exec', new: 1 },
        { key: 'fresh', scope: 'exec', old: 1, new: 2 },
      ]);
    });

    it('lets later nodes of the same tick read earlier writes', () => {
      const h = harness(n('sequence', set('x', 1), cond(call('=', v('x'), 1))));
      expect(h.tree.tick().status).toBe('SUCCESS');
    });

    it('updates nested paths copy-on-write and records the top-level key', () => {
      const pose = { pos: { x: 1, y: 2 }, tags: ['a', 'b'] };
      const h = harness(
        n('sequence', set('pose/pos/x', 5), set('pose/tags/1', 'z'), set('made/deep/key', true)),
        {
          bb: { exec: { pose } },
        },
      );
      const r = h.tree.tick();
      expect(r.writes[0]).toEqual({
        key: 'pose',
        scope: 'exec',
        old: pose,
        new: { pos: { x: 5, y: 2 }, tags: ['a', 'b'] },
      });
      expect(r.writes[2]).toEqual({ key: 'made', scope: 'exec', new: { deep: { key: true } } });
      expect(h.bb.get('exec', 'pose')).toEqual({ pos: { x: 5, y: 2 }, tags: ['a', 'z'] });
      // The original value (and so the old value of the record) was never mutated.
      expect(pose).toEqual({ pos: { x: 1, y: 2 }, tags: ['a', 'b'] });
    });

    it('handles list indexes in nested writes and removals', () => {
      const h = harness(
        n(
          'sequence',
          set('l/2', 'c'),
          n('unset', { args: ['l/0'] }),
          n('unset', { args: ['l/9'] }),
          n('unset', { args: ['m/a/x'] }),
        ),
        { bb: { exec: { l: ['a', 'b'], m: { a: { x: 1, y: 2 } } } } },
      );
      const r = h.tree.tick();
      expect(r.writes).toEqual([
        { key: 'l', scope: 'exec', old: ['a', 'b'], new: ['a', 'b', 'c'] },
        { key: 'l', scope: 'exec', old: ['a', 'b', 'c'], new: ['b', 'c'] },
        { key: 'm', scope: 'exec', old: { a: { x: 1, y: 2 } }, new: { a: { y: 2 } } },
      ]);
      const past = harness(set('l/5', 1), { bb: { exec: { l: [] } } }).tree.tick();
      expect(past.errors).toEqual([
        { nodeId: '0', code: 'EXPR_TYPE', message: 'index 5 is past the end of a list of 0' },
      ]);
    });

    it('fails a nested write through a non-collection', () => {
      const r = harness(set('n/x', 1), { bb: { exec: { n: 3 } } }).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: '0', code: 'EXPR_TYPE', message: "cannot set field 'x' of a number" },
      ]);
    });

    it('unsets keys and nested fields; unsetting a missing key records nothing', () => {
      const h = harness(
        n(
          'sequence',
          n('unset', { args: ['a'] }),
          n('unset', { args: ['m/k'] }),
          n('unset', { args: ['nope'] }),
        ),
        {
          bb: { exec: { a: 1, m: { k: 1, j: 2 } } },
        },
      );
      expect(h.tree.tick().writes).toEqual([
        { key: 'a', scope: 'exec', old: 1 },
        { key: 'm', scope: 'exec', old: { k: 1, j: 2 }, new: { j: 2 } },
      ]);
      expect(h.bb.snapshot('exec')).toEqual({ m: { j: 2 } });
    });

    describe('subtree scopes', () => {
      const document = doc(
        n(
          'sequence',
          n('subtree', { id: 'call', args: ['child'], kw: { speed: call('*', v('base'), 2) } }),
          cond(v('speed'), 'outer'),
        ),
        {
          name: 'child',
          root: n('sequence', set('seen', v('speed')), set('tmp', 1), set('shared', 'yes')),
        },
      );

      it('binds arguments in a local scope; writes to new keys stay local, existing keys are shared', () => {
        const h = harness(document, { bb: { exec: { base: 21, shared: 'no' } } });
        const r = h.tree.tick();
        expect(r.writes).toEqual([
          { key: 'speed', scope: 'local:call', new: 42 },
          { key: 'seen', scope: 'local:call', new: 42 },
          { key: 'tmp', scope: 'local:call', new: 1 },
          { key: 'shared', scope: 'exec', old: 'no', new: 'yes' },
        ]);
        // `speed` is not visible outside the subtree.
        expect(r.status).toBe('FAILURE');
        expect(h.bb.snapshot('exec')).toEqual({ base: 21, shared: 'yes' });
      });

      it('rebinds arguments on each run, recording only changes', () => {
        const h = harness(document, { bb: { exec: { base: 21 } } });
        h.tree.tick();
        expect(h.tree.tick().writes.filter((w) => w.key === 'speed')).toEqual([]);
        h.bb.set('exec', 'base', 1);
        expect(h.tree.tick().writes.filter((w) => w.key === 'speed')).toEqual([
          { key: 'speed', scope: 'local:call', old: 42, new: 2 },
        ]);
      });

      it('lets an inner for-each scope shadow the subtree scope', () => {
        const h = harness(
          doc(n('subtree', { id: 's', args: ['loop'], kw: { it: 'outer' } }), {
            name: 'loop',
            root: n(
              'sequence',
              n(
                'for-each',
                { id: 'fe', kw: { in: { list: ['inner'] }, as: 'it' } },
                n('log', { args: ['in', v('it')] }),
              ),
              n('log', { args: ['after', v('it')] }),
            ),
          }),
        );
        const r = h.tree.tick();
        expect(r.logs.map((l) => l.values[0])).toEqual(['inner', 'outer']);
      });
    });

    it('shares team and global scopes between executions made with withExec', () => {
      const a = new MemoryBlackboard({ global: { g: 1 }, team: { t: 1 }, exec: { e: 1 } });
      const b = a.withExec({ e: 2 });
      b.set('team', 't', 2);
      expect(a.get('team', 't')).toBe(2);
      expect(a.get('exec', 'e')).toBe(1);
      expect(b.snapshot('global')).toEqual({ g: 1 });
    });

    // Compiled `$key` reads keep the store's cells for the key: they must follow every change the
    // host makes between ticks, in any scope, including deleting a key and setting it again.
    it('reads what the host set, deleted and set again between ticks, in every scope', () => {
      const h = harness(n('log', { args: ['v', v('k')] }), { bb: { global: { k: 'g' } } });
      const seen = () => h.tree.tick().logs[0].values[0];
      expect(seen()).toBe('g');
      h.bb.set('exec', 'k', 'e');
      expect(seen()).toBe('e');
      h.bb.set('team', 'k', 't');
      h.bb.delete('exec', 'k');
      expect(seen()).toBe('t');
      h.bb.delete('team', 'k');
      h.bb.delete('global', 'k');
      expect(seen()).toBeNull();
      h.bb.set('exec', 'k', 'back');
      expect(seen()).toBe('back');
    });

    it('keeps a deleted key absent, and a re-set key last, for a store read by a tree', () => {
      const h = harness(n('log', { args: ['v', v('a')] }), { bb: { exec: { a: 1, b: 2 } } });
      h.tree.tick();
      h.bb.delete('exec', 'a');
      expect(h.bb.has('exec', 'a')).toBe(false);
      expect(h.bb.get('exec', 'a')).toBeUndefined();
      expect(h.bb.snapshot('exec')).toEqual({ b: 2 });
      expect(h.bb.has('team', 'a')).toBe(false);
      expect(h.bb.snapshot('team')).toEqual({});
      h.bb.set('exec', 'a', 3);
      expect(Object.keys(h.bb.snapshot('exec'))).toEqual(['b', 'a']);
    });

    it('snapshots a __proto__ key as an own property', () => {
      const bb = new MemoryBlackboard();
      bb.set('exec', '__proto__', { x: 1 });
      const snap = bb.snapshot('exec');
      expect(Object.hasOwn(snap, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(snap)).toBe(Object.prototype);
    });
  });
});
