import { buildTree, BehaviorTree, ManualClock, MemoryBlackboard, ActionRegistry } from '../src';
import { doc, n, run, v } from './helpers';

const guarded = () =>
  n(
    'guard',
    { args: [v('go')] },
    n('semaphore', { id: 'sem', kw: { name: 'dock', max: 1 } }, run()),
  );

describe(BehaviorTree.name, () => {
  describe('semaphore', () => {
    it('shares slots between two executions of a team through the team scope', () => {
      const team = new MemoryBlackboard({ exec: { go: true } });
      const other = team.withExec({ go: true });
      const opts = { clock: new ManualClock(), actions: new ActionRegistry() };
      const a = buildTree(doc(guarded()), { ...opts, blackboard: team, execId: 'A' });
      const b = buildTree(doc(guarded()), { ...opts, blackboard: other, execId: 'B' });

      const ra = a.tick();
      expect(ra.status).toBe('RUNNING');
      expect(ra.writes).toEqual([{ key: '__semaphore:dock', scope: 'team', new: ['A:sem'] }]);
      // B finds the only slot taken.
      const rb = b.tick();
      expect(rb.status).toBe('FAILURE');
      expect(rb.writes).toEqual([]);

      // Halting A (its guard turns false) releases the slot; B then gets it.
      team.set('exec', 'go', false);
      expect(a.tick().writes).toEqual([
        { key: '__semaphore:dock', scope: 'team', old: ['A:sem'], new: [] },
      ]);
      expect(b.tick().status).toBe('RUNNING');
      expect(team.get('team', '__semaphore:dock')).toEqual(['B:sem']);
    });

    it('releases when the child finishes', () => {
      const bb = new MemoryBlackboard();
      const t = buildTree(
        doc(n('semaphore', { id: 's', kw: { name: 'x', max: 2 } }, n('success'))),
        { blackboard: bb, execId: 'E' },
      );
      expect(t.tick().writes).toEqual([
        { key: '__semaphore:x', scope: 'team', new: ['E:s'] },
        { key: '__semaphore:x', scope: 'team', old: ['E:s'], new: [] },
      ]);
    });

    it('releases on BehaviorTree.halt() and reports the write', () => {
      const bb = new MemoryBlackboard();
      const t = buildTree(doc(n('semaphore', { id: 's', kw: { name: 'x', max: 1 } }, run())), {
        blackboard: bb,
        execId: 'E',
      });
      t.tick();
      expect(t.halt().writes).toEqual([
        { key: '__semaphore:x', scope: 'team', old: ['E:s'], new: [] },
      ]);
    });
  });
});
