// What each node box shows besides its structure: status, running path, pause, breakpoint,
// stats. Kept outside React Flow's node array so a tick re-renders only the boxes that changed
// (a 200-node tree at 10 Hz; docs/performance.md, "Studio"), through useSyncExternalStore.
import type { Status } from '../api/types';

export interface NodeOverlay {
  visits: number;
  timeMs: number;
  failures: number;
  /** This node's time over the busiest node's, 0..1: the heat shown on the box. */
  heat: number;
}

export interface NodeView {
  status: Status;
  onPath: boolean;
  paused?: 'before' | 'after';
  breakpoint: boolean;
  selected: boolean;
  stats?: NodeOverlay;
}

const IDLE: NodeView = { status: 'IDLE', onPath: false, breakpoint: false, selected: false };

function same(a: NodeView, b: NodeView): boolean {
  return (
    a.status === b.status &&
    a.onPath === b.onPath &&
    a.paused === b.paused &&
    a.breakpoint === b.breakpoint &&
    a.selected === b.selected &&
    a.stats?.visits === b.stats?.visits &&
    a.stats?.timeMs === b.stats?.timeMs &&
    a.stats?.failures === b.stats?.failures &&
    a.stats?.heat === b.stats?.heat
  );
}

export class CanvasStore {
  private views = new Map<string, NodeView>();
  /** Per node: a status change wakes the boxes (and edges) of the nodes it changed, no others. */
  private listeners = new Map<string, Set<() => void>>();

  /** A listener of one node's view (bind it per box: `(l) => store.subscribe(id, l)`). */
  subscribe(id: string, listener: () => void): () => void {
    const set = this.listeners.get(id) ?? new Set<() => void>();
    this.listeners.set(id, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /** The same object as long as the node's view did not change (useSyncExternalStore needs that). */
  view = (id: string): NodeView => this.views.get(id) ?? IDLE;

  /**
   * Replaces the views that changed, then tells the listeners of those nodes (once each, after
   * every view is in place, so an edge reading both its ends sees one state). Returns the ids
   * that changed.
   */
  update(ids: Iterable<string>, viewOf: (id: string) => NodeView): string[] {
    const changed: string[] = [];
    for (const id of ids) {
      const next = viewOf(id);
      if (same(this.view(id), next)) continue;
      this.views.set(id, next);
      changed.push(id);
    }
    const woken = new Set<() => void>();
    for (const id of changed) this.listeners.get(id)?.forEach((l) => woken.add(l));
    woken.forEach((l) => l());
    return changed;
  }
}
