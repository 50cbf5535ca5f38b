import { CanvasStore, type NodeView } from './canvas-store';

const view = (status: NodeView['status'], extra: Partial<NodeView> = {}): NodeView => ({
  status,
  onPath: false,
  breakpoint: false,
  selected: false,
  ...extra,
});

/** A store with one listener per node (as each box subscribes), counting wake-ups per node. */
function boxes(ids: string[]) {
  const store = new CanvasStore();
  const woken: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  const off = ids.map((id) => store.subscribe(id, () => (woken[id] += 1)));
  return { store, woken, off };
}

describe('CanvasStore', () => {
  const ids = Array.from({ length: 202 }, (_, i) => `n${i}`);

  it('wakes only the boxes whose view changed: a tick flipping 3 of 202 nodes re-renders 3', () => {
    const { store, woken } = boxes(ids);
    const statuses: Record<string, NodeView['status']> = { n1: 'SUCCESS', n7: 'FAILURE', n150: 'RUNNING' };
    const changed = store.update(ids, (id) => view(statuses[id] ?? 'IDLE'));
    expect(changed.sort()).toEqual(['n1', 'n150', 'n7']);
    expect(Object.entries(woken).filter(([, n]) => n > 0)).toEqual([
      ['n1', 1],
      ['n7', 1],
      ['n150', 1],
    ]);
    expect(store.view('n7').status).toBe('FAILURE');
    expect(store.view('n8').status).toBe('IDLE');
  });

  it('keeps the same view object (no re-render) for an unchanged node, and wakes nobody on a no-op', () => {
    const { store, woken } = boxes(ids);
    store.update(ids, (id) => view(id === 'n3' ? 'SUCCESS' : 'IDLE'));
    const before = store.view('n3');
    woken.n3 = 0;
    expect(store.update(ids, (id) => view(id === 'n3' ? 'SUCCESS' : 'IDLE'))).toEqual([]);
    expect(store.view('n3')).toBe(before);
    expect(Object.values(woken).every((n) => n === 0)).toBe(true);
  });

  it('a path, pause, breakpoint, selection or stats change counts as a change of that node only', () => {
    const { store, woken } = boxes(['a', 'b']);
    store.update(['a', 'b'], (id) => view('IDLE', id === 'a' ? { breakpoint: true } : {}));
    store.update(['a', 'b'], (id) => view('IDLE', id === 'a' ? { breakpoint: true, stats: { visits: 1, timeMs: 2, failures: 0, heat: 1 } } : {}));
    store.update(['a', 'b'], (id) => view('IDLE', id === 'b' ? { paused: 'before' } : {}));
    expect(woken).toEqual({ a: 3, b: 1 });
  });

  it('an edge listening to both ends is woken once when both change, and never after it unsubscribes', () => {
    const store = new CanvasStore();
    let edge = 0;
    const listener = () => (edge += 1);
    const offs = [store.subscribe('a', listener), store.subscribe('b', listener)];
    store.update(['a', 'b'], () => view('RUNNING', { onPath: true }));
    expect(edge).toBe(1);
    offs.forEach((off) => off());
    store.update(['a', 'b'], () => view('SUCCESS'));
    expect(edge).toBe(1);
  });
});
