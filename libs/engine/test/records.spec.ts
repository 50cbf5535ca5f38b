import { BehaviorTree, buildTree, type Status } from '../src';
import { act, call, cond, doc, harness, n, ok, set, trace, v } from './helpers';

describe(BehaviorTree.name, () => {
  describe('tick records', () => {
    it('holds tick number, clock time, status and all event kinds', () => {
      const h = harness(
        n(
          'sequence',
          set('x', 1, 's'),
          n('log', { id: 'l', args: ['x is', v('x')] }),
          n('progress', { id: 'p', args: ['half', 50] }),
        ),
      );
      h.clock.set(1000);
      const r = h.tree.tick();
      expect(r).toEqual({
        tick: 1,
        startedAt: 1000,
        durationMs: expect.any(Number),
        status: 'SUCCESS',
        nodes: [
          { id: 's', from: 'IDLE', to: 'SUCCESS' },
          { id: 'l', from: 'IDLE', to: 'SUCCESS' },
          { id: 'p', from: 'IDLE', to: 'SUCCESS' },
          { id: '0', from: 'IDLE', to: 'SUCCESS' },
        ],
        writes: [{ key: 'x', scope: 'exec', new: 1 }],
        logs: [{ nodeId: 'l', message: 'x is', values: [1] }],
        progress: [{ nodeId: 'p', step: 'half', percent: 50 }],
        errors: [],
      });
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(h.tree.tick().writes).toEqual([{ key: 'x', scope: 'exec', old: 1, new: 1 }]);
      expect(h.tree.tickCount).toBe(2);
    });

    it('grows its buffers for trees with many changes and visits in one tick', () => {
      const leaves = Array.from({ length: 150 }, () => ok());
      const r = harness(n('sequence', ...leaves), { record: { visits: true } }).tree.tick();
      expect(r.nodes).toHaveLength(151);
      expect(r.visits).toHaveLength(151);
      expect(r.nodes[149]).toEqual({ id: '0.149', from: 'IDLE', to: 'SUCCESS' });
      expect(r.visits?.[150]).toEqual({ id: '0.149', status: 'SUCCESS' });
    });

    it('reads the clock once per tick: every node sees the same time', () => {
      let reads = 0;
      const clock = {
        now: () => {
          reads++;
          return reads * 10;
        },
      };
      const tree = buildTree(
        doc(n('sequence', set('a', call('now')), set('b', call('now')), set('t', call('tick')))),
        { clock },
      );
      const r = tree.tick();
      expect(reads).toBe(1);
      expect(r.writes.map((w) => w.new)).toEqual([10, 10, 1]);
    });

    it('collects visits in pre-order, with inclusive timing when asked', () => {
      const h = harness(n('selector', cond(false, 'c'), ok()), {
        record: { visits: true, timing: true },
      });
      const r = h.tree.tick();
      expect(r.visits?.map(({ id, status }) => [id, status])).toEqual([
        ['0', 'SUCCESS'],
        ['c', 'FAILURE'],
        ['0.1', 'SUCCESS'],
      ]);
      expect(r.visits?.every((x) => typeof x.us === 'number' && x.us >= 0)).toBe(true);
      expect(harness(ok()).tree.tick().visits).toBeUndefined();
    });

    it('calls hooks on enter and exit of every node tick, in order, only while set', () => {
      const h = harness(n('sequence', ok(), cond(true, 'c')));
      const calls: string[] = [];
      h.tree.setHooks({
        enter: (id, i) => calls.push(`enter ${id} #${i}`),
        exit: (id, i, s: Status) => calls.push(`exit ${id} #${i} ${s}`),
      });
      h.tree.tick();
      expect(calls).toEqual([
        'enter 0 #0',
        'enter 0.0 #1',
        'exit 0.0 #1 SUCCESS',
        'enter c #2',
        'exit c #2 SUCCESS',
        'exit 0 #0 SUCCESS',
      ]);
      h.tree.setHooks();
      h.tree.tick();
      expect(calls).toHaveLength(6);
    });

    it('is deterministic: same document, inputs and clock give the same records', () => {
      const root = n(
        'sequence',
        n(
          'repeat',
          { kw: { times: 3 } },
          n('sequence', set('i', call('+', call('get', 'i', 0), 1)), n('wait', { kw: { ms: 20 } })),
        ),
        act('done'),
      );
      const runOnce = () => {
        const h = harness(root);
        h.actions.register('done', () => true);
        return trace(h.ticks(12, 10));
      };
      const a = runOnce();
      expect(a).toEqual(runOnce());
      expect(a.some((r) => r.status === 'SUCCESS')).toBe(true);
    });

    it('exposes statuses and statusOf', () => {
      const h = harness(n('selector', cond(false, 'c'), ok()));
      h.tree.tick();
      expect(h.tree.statuses()).toEqual({ '0': 'SUCCESS', c: 'FAILURE', '0.1': 'SUCCESS' });
      expect(h.tree.statusOf('c')).toBe('FAILURE');
      expect(h.tree.statusOf('nope')).toBeUndefined();
      expect(h.tree.status).toBe('SUCCESS');
    });

    it('refuses to tick from inside a tick', () => {
      const h = harness(act('again'));
      let error: unknown;
      h.actions.register('again', () => {
        try {
          h.tree.tick();
        } catch (e) {
          error = e;
        }
        return true;
      });
      expect(h.tree.tick().status).toBe('SUCCESS');
      expect(String(error)).toContain('called during a tick');
    });

    it('lets a throwing hook escape without leaking its half tick into the next record', () => {
      const h = harness(n('sequence', set('x', 1), ok()));
      h.tree.setHooks({
        exit: (id) => {
          if (id === '0.1') throw new Error('hook bug');
        },
      });
      expect(() => h.tree.tick()).toThrow('hook bug');
      h.tree.setHooks();
      expect(h.tree.tick().writes).toEqual([{ key: 'x', scope: 'exec', old: 1, new: 1 }]);
    });

    it('halt() resets every node to IDLE and keeps memories', () => {
      const h = harness(n('sequence', n('run-once', ok()), n('running')));
      h.tree.tick();
      const halted = h.tree.halt();
      expect(halted.nodes).toEqual([
        { id: '0.1', from: 'RUNNING', to: 'IDLE' },
        { id: '0', from: 'RUNNING', to: 'IDLE' },
        { id: '0.0', from: 'SUCCESS', to: 'IDLE' },
        { id: '0.0.0', from: 'SUCCESS', to: 'IDLE' },
      ]);
      // run-once remembers: its child is not ticked again.
      h.tree.tick();
      expect(h.tree.statusOf('0.0.0')).toBe('IDLE');
      expect(h.tree.statusOf('0.0')).toBe('SUCCESS');
    });
  });
});
