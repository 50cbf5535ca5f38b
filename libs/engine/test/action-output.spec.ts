import { ActionError, BehaviorTree, buildTree, ManualClock, MemoryBlackboard, ActionRegistry } from '../src';
import type { NodeJson } from '../src';
import { act, deferred, flush, harness, n, v } from './helpers';

const seq = (...children: NodeJson[]) => n('sequence', {}, ...children);

const into = (name: string, key: string, args: Record<string, unknown> = {}, id = 'a') =>
  n('action', { id, args: [{ sym: name }], kw: { ...(args as Record<string, never>), into: key } });

describe('action results with data', () => {
  it('a sync {status, output} writes output to :into in the same tick, with the write recorded', () => {
    const h = harness(into('lookup', 'found/where', { q: v('q') }), { bb: { exec: { q: 'door', found: { n: 1 } } } });
    h.actions.register('lookup', (args) => ({ status: 'SUCCESS', output: `at the ${String(args.q)}` }));
    const r = h.tree.tick();
    expect(r.status).toBe('SUCCESS');
    expect(h.bb.get('exec', 'found')).toEqual({ n: 1, where: 'at the door' });
    expect(r.writes).toEqual([
      { key: 'found', scope: 'exec', old: { n: 1 }, new: { n: 1, where: 'at the door' } },
    ]);
    // :into is the node's own keyword, never an argument the action sees.
    const seen: unknown[] = [];
    const h2 = harness(into('x', 'out', { a: 1 }));
    h2.actions.register('x', (args) => (seen.push(args), { status: 'SUCCESS' }));
    h2.tree.tick();
    expect(seen).toEqual([{ a: 1 }]);
  });

  it('an async result is written in the tick that observes it, not before', async () => {
    const h = harness(into('fetch', 'page'));
    const d = deferred<{ status: 'SUCCESS'; output: unknown }>();
    h.actions.register('fetch', () => d.promise);
    expect(h.tree.tick()).toMatchObject({ status: 'RUNNING', writes: [] });
    d.resolve({ status: 'SUCCESS', output: { title: 'Hello' } });
    await flush();
    expect(h.bb.get('exec', 'page')).toBeUndefined();
    const r = h.tree.tick();
    expect(r.status).toBe('SUCCESS');
    expect(r.writes).toEqual([{ key: 'page', scope: 'exec', new: { title: 'Hello' } }]);
  });

  it('RUNNING with output writes a partial result and calls again; FAILURE with output writes it too', () => {
    const h = harness(into('count', 'n'));
    let calls = 0;
    h.actions.register('count', () => (++calls < 3 ? { status: 'RUNNING', output: calls } : { status: 'FAILURE', output: 'gave up' }));
    const values: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      h.tree.tick();
      values.push(h.bb.get('exec', 'n'));
    }
    expect(values).toEqual([1, 2, 'gave up']);
    expect(h.status('a')).toBe('FAILURE');
  });

  it('without :into the output is unused; an object without a status is an invalid outcome', () => {
    const h = harness(act('x', {}, 'a'));
    h.actions.register('x', () => ({ status: 'SUCCESS', output: 1 }));
    expect(h.tree.tick()).toMatchObject({ status: 'SUCCESS', writes: [] });
    const bad = harness(act('y', {}, 'b'));
    bad.actions.register('y', () => ({ output: 1 }) as never);
    expect(bad.tree.tick().errors).toEqual([
      { nodeId: 'b', code: 'ACTION_FAILED', message: `action 'y' returned an invalid outcome: {"output":1}` },
    ]);
  });

  it('inside a subtree, :into writes to the subtree scope like set does', () => {
    const h = harness({
      format: 'canopy/1',
      trees: [
        { name: 'main', root: seq(n('subtree', { id: 's', args: ['inner'] })) },
        { name: 'inner', root: into('x', 'local-result') },
      ],
    });
    h.actions.register('x', () => ({ status: 'SUCCESS', output: 7 }));
    const r = h.tree.tick();
    expect(r.writes).toEqual([{ key: 'local-result', scope: 'local:s', new: 7 }]);
    expect(h.bb.get('exec', 'local-result')).toBeUndefined();
  });

  it('a rejected ActionError keeps its code and message; other throws are ACTION_FAILED', async () => {
    const h = harness(seq(act('slow', {}, 'a'), act('gone', {}, 'b')));
    const d = deferred<never>();
    h.actions.register('slow', () => d.promise);
    h.actions.register('gone', () => {
      throw new ActionError('ACTION_UNAVAILABLE', 'no worker serves it');
    });
    h.tree.tick();
    d.reject(new ActionError('ACTION_TIMEOUT', 'no reply within 50 ms'));
    await flush();
    expect(h.tree.tick().errors).toEqual([
      { nodeId: 'a', code: 'ACTION_TIMEOUT', message: "action 'slow': no reply within 50 ms" },
    ]);
    const h2 = harness(act('gone', {}, 'b'));
    h2.actions.register('gone', () => {
      throw new ActionError('ACTION_UNAVAILABLE', 'no worker serves it');
    });
    expect(h2.tree.tick().errors).toEqual([
      { nodeId: 'b', code: 'ACTION_UNAVAILABLE', message: "action 'gone': no worker serves it" },
    ]);
  });

  it('a settled result and a coded failure survive a checkpoint and restore', async () => {
    const make = (clock: ManualClock, bb: MemoryBlackboard, actions: ActionRegistry): BehaviorTree =>
      buildTree(
        { format: 'canopy/1', trees: [{ name: 'main', root: seq(into('f', 'r', {}, 'a'), act('g', {}, 'b')) }] },
        { clock, blackboard: bb, actions },
      );
    const actions = new ActionRegistry();
    const d1 = deferred<unknown>();
    actions.register('f', () => d1.promise as never);
    const bb = new MemoryBlackboard();
    const tree = make(new ManualClock(0), bb, actions);
    tree.tick();
    d1.resolve({ status: 'SUCCESS', output: 'kept' });
    await flush();
    const restored = make(new ManualClock(0), bb, actions);
    restored.restore(tree.checkpoint());
    actions.register('g', () => {
      throw new ActionError('ACTION_TIMEOUT', 'late');
    });
    const r = restored.tick();
    expect(r.writes).toEqual([{ key: 'r', scope: 'exec', new: 'kept' }]);
    expect(r.errors).toEqual([{ nodeId: 'b', code: 'ACTION_TIMEOUT', message: "action 'g': late" }]);
  });
});
