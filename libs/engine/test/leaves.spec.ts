import { BehaviorTree } from '../src';
import { call, cond, harness, n, statuses, v } from './helpers';

describe(BehaviorTree.name, () => {
  describe('leaves', () => {
    it.each([
      ['success', 'SUCCESS'],
      ['failure', 'FAILURE'],
      ['running', 'RUNNING'],
    ])('(%s) returns %s', (type, status) => {
      expect(harness(n(type)).tree.tick().status).toBe(status);
    });

    it.each<[unknown, string]>([
      [0, 'SUCCESS'],
      ['', 'SUCCESS'],
      [[], 'SUCCESS'],
      [false, 'FAILURE'],
      [null, 'FAILURE'],
    ])('(condition %j) is %s: only nil and false are falsy', (x, status) => {
      expect(harness(cond(v('x')), { bb: { exec: { x } } }).tree.tick().status).toBe(status);
    });

    it('(condition) on a missing key fails', () => {
      expect(harness(cond(v('x'))).tree.tick().status).toBe('FAILURE');
    });

    it('(wait :ms T) is RUNNING until T ms after it started', () => {
      const h = harness(n('wait', { kw: { ms: 100 } }));
      expect(statuses(h.ticks(4, 50))).toEqual(['RUNNING', 'RUNNING', 'SUCCESS', 'RUNNING']);
    });

    it('(wait :ms T) reads T at start', () => {
      const h = harness(n('wait', { kw: { ms: v('t') } }), { bb: { exec: { t: 10 } } });
      h.tree.tick();
      h.bb.set('exec', 't', 1000);
      h.clock.advance(10);
      expect(h.tree.tick().status).toBe('SUCCESS');
    });

    it('(log "msg" EXPR...) records the values', () => {
      const r = harness(n('log', { id: 'l', args: ['pos', v('x'), call('+', v('x'), 1)] }), {
        bb: { exec: { x: 1 } },
      }).tree.tick();
      expect(r.status).toBe('SUCCESS');
      expect(r.logs).toEqual([{ nodeId: 'l', message: 'pos', values: [1, 2] }]);
    });

    it('(progress "step" PERCENT) records progress', () => {
      const r = harness(
        n('progress', { id: 'p', args: ['loading', call('*', 10, 5)] }),
      ).tree.tick();
      expect(r.status).toBe('SUCCESS');
      expect(r.progress).toEqual([{ nodeId: 'p', step: 'loading', percent: 50 }]);
    });

    it('(progress) fails on a non-number percent', () => {
      const r = harness(n('progress', { id: 'p', args: ['loading', v('nope')] })).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        {
          nodeId: 'p',
          code: 'BAD_ARGUMENT',
          message: 'progress percent must be a number, got null',
        },
      ]);
    });

    it('collects no logs, progress or writes when those kinds are off, but still runs the nodes', () => {
      const h = harness(
        n(
          'sequence',
          n('log', { args: ['m'] }),
          n('progress', { args: ['s', 1] }),
          n('set', { args: ['k', 1] }),
        ),
        {
          record: { logs: false, progress: false, writes: false, nodes: false },
        },
      );
      const r = h.tree.tick();
      expect([r.logs, r.progress, r.writes, r.nodes]).toEqual([[], [], [], []]);
      expect(h.bb.get('exec', 'k')).toBe(1);
    });
  });
});
