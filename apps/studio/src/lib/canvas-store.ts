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
  private listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The same object as long as the node's view did not change (useSyncExternalStore needs that). */
  view = (id: string): NodeView => this.views.get(id) ?? IDLE;

  /** Replaces the views that changed; tells subscribers once, and only when something changed. */
  update(ids: Iterable<string>, viewOf: (id: string) => NodeView): number {
    let changed = 0;
    for (const id of ids) {
      const next = viewOf(id);
      const prev = this.views.get(id);
      if (prev && same(prev, next)) continue;
      this.views.set(id, next);
      changed += 1;
    }
    if (changed > 0) this.listeners.forEach((l) => l());
    return changed;
  }
}
