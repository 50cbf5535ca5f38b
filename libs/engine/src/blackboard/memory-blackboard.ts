import type { StoreScope } from '../model/runtime';
import type { Cell, CellStore } from './cells';

export interface BlackboardInit {
  global?: Record<string, unknown>;
  team?: Record<string, unknown>;
  exec?: Record<string, unknown>;
}

/**
 * A scope's slots. A slot is dropped with its key unless it was handed out (`pinned`): a holder
 * must keep seeing the key, so a pinned slot stays with `v` undefined (absent) instead.
 */
class Slot implements Cell {
  pinned = false;
  constructor(public v: unknown) {}
}

type Slots = Map<string, Slot>;

function toSlots(init: Record<string, unknown> | undefined): Slots {
  const map: Slots = new Map();
  if (init) for (const [k, v] of Object.entries(init)) if (v !== undefined) map.set(k, new Slot(v));
  return map;
}

/** The in-process store: tests, the CLI, and the cache a runner keeps in front of Redis. */
export class MemoryBlackboard implements CellStore {
  private readonly globalScope: Slots;
  private readonly teamScope: Slots;
  private readonly execScope: Slots;

  constructor(init?: BlackboardInit, shared?: MemoryBlackboard) {
    this.globalScope = shared ? shared.globalScope : toSlots(init?.global);
    this.teamScope = shared ? shared.teamScope : toSlots(init?.team);
    this.execScope = toSlots(init?.exec);
  }

  /** Another execution of the same team: shares global and team scopes, owns its exec scope. */
  withExec(exec?: Record<string, unknown>): MemoryBlackboard {
    return new MemoryBlackboard({ exec }, this);
  }

  get(scope: StoreScope, key: string): unknown {
    return this.scope(scope).get(key)?.v;
  }

  has(scope: StoreScope, key: string): boolean {
    return this.scope(scope).get(key)?.v !== undefined;
  }

  set(scope: StoreScope, key: string, value: unknown): void {
    // `undefined` means "no such key" in the store contract, so it cannot be a value.
    if (value === undefined) return this.delete(scope, key);
    const slots = this.scope(scope);
    const slot = slots.get(key);
    if (slot === undefined) slots.set(key, new Slot(value));
    else if (slot.v !== undefined) slot.v = value;
    else {
      // A pinned slot of an absent key: the key comes back last, as a new key would (snapshots
      // list keys in insertion order).
      slots.delete(key);
      slots.set(key, slot);
      slot.v = value;
    }
  }

  delete(scope: StoreScope, key: string): void {
    const slots = this.scope(scope);
    const slot = slots.get(key);
    if (slot === undefined) return;
    if (slot.pinned) slot.v = undefined;
    else slots.delete(key);
  }

  snapshot(scope: StoreScope): Record<string, unknown> {
    const entries: [string, unknown][] = [];
    for (const [k, slot] of this.scope(scope)) if (slot.v !== undefined) entries.push([k, slot.v]);
    // fromEntries, not assignment: a `__proto__` key must stay an own property.
    return Object.fromEntries(entries);
  }

  cell(scope: StoreScope, key: string): Cell {
    const slots = this.scope(scope);
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = new Slot(undefined);
      slots.set(key, slot);
    }
    slot.pinned = true;
    return slot;
  }

  private scope(scope: StoreScope): Slots {
    return scope === 'exec' ? this.execScope : scope === 'team' ? this.teamScope : this.globalScope;
  }
}
