import type { BlackboardStore, StoreScope } from '../model/runtime';

/**
 * One key's slot in a store that can hand it out: `v` is the key's value, `undefined` while the
 * key is absent. A compiled variable keeps the cells it reads, so a read is a field load instead
 * of a lookup per scope (the lookups were the largest part of a condition's tick).
 */
export interface Cell {
  v: unknown;
}

/**
 * A store whose cells stay the key's for the store's life: a cell handed out is updated in place
 * by every later write and delete of its key. Optional: stores without it are read with `get`.
 */
export interface CellStore extends BlackboardStore {
  cell(scope: StoreScope, key: string): Cell;
}

export function isCellStore(store: BlackboardStore): store is CellStore {
  return typeof (store as Partial<CellStore>).cell === 'function';
}
