import type { BlackboardStore, StoreScope } from '../model/runtime';
import { DebugError } from './debug-error';
import type { BlackboardView, PendingWrite } from './types';

const SCOPES: readonly StoreScope[] = ['global', 'team', 'exec'];
const REMOVED: unique symbol = Symbol('removed');

/** Every scope of a store that can give snapshots; DebugError NO_SNAPSHOT when it cannot. */
export function snapshotOf(store: BlackboardStore): BlackboardView {
  const snap = snapshotter(store);
  return { global: snap('global'), team: snap('team'), exec: snap('exec') };
}

function snapshotter(store: BlackboardStore): (scope: StoreScope) => Record<string, unknown> {
  if (typeof store.snapshot !== 'function') {
    throw new DebugError(
      'NO_SNAPSHOT',
      'the blackboard store has no snapshot(scope): a debugged tick could not be paused',
    );
  }
  return (scope) =>
    (store.snapshot as (scope: StoreScope) => Record<string, unknown>).call(store, scope);
}

type Layer = Record<StoreScope, Map<string, unknown>>;

function layer(): Layer {
  return { global: new Map(), team: new Map(), exec: new Map() };
}

/**
 * The store a debugged tick runs against. Its writes go to an overlay, never to the host's store,
 * until the tick completes (`apply`); reads see the overlay first, then the host's store, or once
 * the tick has paused, the frozen view of it taken at the pause (`freeze`). The tick runs
 * synchronously from its start to its first pause and writes nothing to the host's store, so
 * that view is the store as it was when the tick began: every later run of the tick, in this
 * process or another, reads the same values.
 */
export class DebugStore implements BlackboardStore {
  private overlay: Layer = layer();
  private writes: PendingWrite[] = [];
  private frozen: Layer | null = null;

  private readonly snap: (scope: StoreScope) => Record<string, unknown>;

  constructor(private readonly base: BlackboardStore) {
    this.snap = snapshotter(base);
  }

  get(scope: StoreScope, key: string): unknown {
    const o = this.overlay[scope];
    if (o.size > 0 && o.has(key)) {
      const v = o.get(key);
      return v === REMOVED ? undefined : v;
    }
    return this.frozen !== null ? this.frozen[scope].get(key) : this.base.get(scope, key);
  }

  has(scope: StoreScope, key: string): boolean {
    const o = this.overlay[scope];
    if (o.size > 0 && o.has(key)) return o.get(key) !== REMOVED;
    return this.frozen !== null ? this.frozen[scope].has(key) : this.base.has(scope, key);
  }

  set(scope: StoreScope, key: string, value: unknown): void {
    if (value === undefined) return this.delete(scope, key);
    this.overlay[scope].set(key, value);
    this.writes.push({ scope, key, value });
  }

  delete(scope: StoreScope, key: string): void {
    this.overlay[scope].set(key, REMOVED);
    this.writes.push({ scope, key });
  }

  snapshot(scope: StoreScope): Record<string, unknown> {
    const out = this.frozen !== null ? Object.fromEntries(this.frozen[scope]) : this.snap(scope);
    for (const [k, v] of this.overlay[scope]) {
      if (v === REMOVED) delete out[k];
      else out[k] = v;
    }
    return out;
  }

  /** Every scope as seen now: the overlay over the frozen view (or the host's store). */
  view(): BlackboardView {
    return {
      global: this.snapshot('global'),
      team: this.snapshot('team'),
      exec: this.snapshot('exec'),
    };
  }

  get isFrozen(): boolean {
    return this.frozen !== null;
  }

  /** Takes the frozen view from the host's store (at a tick's first pause). */
  freeze(): BlackboardView {
    const view = snapshotOf(this.base);
    this.thaw(view);
    return view;
  }

  /** Uses a frozen view taken earlier (a restored paused tick). */
  thaw(view: BlackboardView): void {
    const frozen = layer();
    for (const scope of SCOPES) {
      for (const [k, v] of Object.entries(view[scope] ?? {}))
        if (v !== undefined) frozen[scope].set(k, v);
    }
    this.frozen = frozen;
  }

  /** The writes of the run so far, in order. */
  pending(): PendingWrite[] {
    return this.writes.slice();
  }

  /** Forgets the run's writes (a new run of the tick starts from its beginning). */
  clear(): void {
    this.overlay = layer();
    this.writes = [];
  }

  /** Replays writes into the overlay (to show a restored paused tick's view). */
  load(writes: readonly PendingWrite[]): void {
    this.clear();
    for (const w of writes) {
      if (Object.hasOwn(w, 'value') && w.value !== undefined) this.set(w.scope, w.key, w.value);
      else this.delete(w.scope, w.key);
    }
  }

  /** Writes the completed tick's writes to the host's store, in the order the tick made them. */
  apply(): void {
    for (const w of this.writes) {
      if (Object.hasOwn(w, 'value')) this.base.set(w.scope, w.key, w.value);
      else this.base.delete(w.scope, w.key);
    }
    this.clear();
  }
}
