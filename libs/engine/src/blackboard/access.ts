import { deepEqual } from '../expr/values';
import type { BlackboardStore, StoreScope } from '../model/runtime';
import type { Recorder } from '../record/recorder';
import { isCellStore, type Cell } from './cells';
import type { KeyRef } from './keys';
import type { LocalScope } from './local-scope';
import { deleteIn, getIn, setIn } from './nested';

/** Nearest scope that has `key`: local scopes innermost first, then exec, team, global. */
export function readKey(store: BlackboardStore, local: LocalScope | null, key: string): unknown {
  for (let s = local; s !== null; s = s.parent) {
    const v = s.vars.get(key);
    if (v !== undefined) return v;
  }
  // Store contract: `undefined` means absent, so one lookup per scope is enough.
  const v = store.get('exec', key);
  if (v !== undefined) return v;
  const t = store.get('team', key);
  return t !== undefined ? t : store.get('global', key);
}

const NO_CELL: Cell = { v: undefined };

/**
 * `readKey` for one key read again and again (a compiled `$key`): against a store with cells it
 * keeps the key's exec, team and global cells, so a read looks nothing up outside local scopes.
 * The cells are those of the last store read (the debugger swaps the store for a tick's runs).
 */
export class KeyReader {
  private store: BlackboardStore | null = null;
  /** `store` has cells, bound below. */
  private cells = false;
  /** ...and no local scope must be looked in first: `read` needs nothing else. */
  private direct = false;
  private exec: Cell = NO_CELL;
  private team: Cell = NO_CELL;
  private global: Cell = NO_CELL;

  constructor(
    private readonly local: LocalScope | null,
    private readonly key: string,
  ) {}

  // Small enough to be inlined into the compiled expression; the rest is in `readSlow`.
  read(store: BlackboardStore): unknown {
    if (!this.direct || store !== this.store) return this.readSlow(store);
    const v = this.exec.v;
    if (v !== undefined) return v;
    const t = this.team.v;
    return t !== undefined ? t : this.global.v;
  }

  private readSlow(store: BlackboardStore): unknown {
    if (store !== this.store) this.bind(store);
    if (!this.cells) return readKey(store, this.local, this.key);
    for (let s: LocalScope | null = this.local; s !== null; s = s.parent) {
      const v = s.vars.get(this.key);
      if (v !== undefined) return v;
    }
    const v = this.exec.v;
    if (v !== undefined) return v;
    const t = this.team.v;
    return t !== undefined ? t : this.global.v;
  }

  private bind(store: BlackboardStore): void {
    this.store = store;
    if (isCellStore(store)) {
      this.exec = store.cell('exec', this.key);
      this.team = store.cell('team', this.key);
      this.global = store.cell('global', this.key);
      this.cells = true;
      this.direct = this.local === null;
    } else {
      this.exec = this.team = this.global = NO_CELL;
      this.cells = this.direct = false;
    }
  }
}

/** `undefined` when the key or a nested field is missing. */
export function readRef(store: BlackboardStore, local: LocalScope | null, ref: KeyRef): unknown {
  const top = ref.scope !== null ? store.get(ref.scope, ref.key) : readKey(store, local, ref.key);
  return ref.path === null ? top : getIn(top, ref.path);
}

type Target = LocalScope | StoreScope;

function targetOf(store: BlackboardStore, local: LocalScope | null, ref: KeyRef): Target {
  if (ref.scope !== null) return ref.scope;
  for (let s = local; s !== null; s = s.parent) if (s.vars.has(ref.key)) return s;
  if (store.has('exec', ref.key)) return 'exec';
  if (store.has('team', ref.key)) return 'team';
  if (store.has('global', ref.key)) return 'global';
  return local ?? 'exec';
}

function load(store: BlackboardStore, t: Target, key: string): unknown {
  return typeof t === 'string' ? store.get(t, key) : t.vars.get(key);
}

function put(
  store: BlackboardStore,
  rec: Recorder,
  t: Target,
  key: string,
  old: unknown,
  next: unknown,
): void {
  if (typeof t === 'string') {
    if (next === undefined) store.delete(t, key);
    else store.set(t, key, next);
  } else if (next === undefined) t.vars.delete(key);
  else t.vars.set(key, next);
  rec.write(key, typeof t === 'string' ? t : t.label, old, next);
}

/** `(set KEY v)`. Throws ExprError when a nested path crosses a non-collection. */
export function writeRef(
  store: BlackboardStore,
  rec: Recorder,
  local: LocalScope | null,
  ref: KeyRef,
  value: unknown,
): void {
  const t = targetOf(store, local, ref);
  const old = load(store, t, ref.key);
  put(store, rec, t, ref.key, old, ref.path === null ? value : setIn(old, ref.path, 0, value));
}

/** `(unset KEY)`: a no-op (and no record) when there is nothing to remove. */
export function deleteRef(
  store: BlackboardStore,
  rec: Recorder,
  local: LocalScope | null,
  ref: KeyRef,
): void {
  const t = targetOf(store, local, ref);
  const old = load(store, t, ref.key);
  if (old === undefined) return;
  const next = ref.path === null ? undefined : deleteIn(old, ref.path, 0);
  if (next !== old) put(store, rec, t, ref.key, old, next);
}

/** Binds a subtree argument or loop variable; recorded only when the value changes. */
export function bindLocal(rec: Recorder, scope: LocalScope, key: string, value: unknown): void {
  const old = scope.vars.get(key);
  scope.vars.set(key, value);
  if (old === undefined || !deepEqual(old, value)) rec.write(key, scope.label, old, value);
}

/** Writes a store key directly (semaphores), recording it. */
export function writeStore(
  store: BlackboardStore,
  rec: Recorder,
  scope: StoreScope,
  key: string,
  value: unknown,
): void {
  put(store, rec, scope, key, store.get(scope, key), value);
}
