import type { BlackboardStore, StoreScope } from '../model/runtime';

export interface BlackboardInit {
  global?: Record<string, unknown>;
  team?: Record<string, unknown>;
  exec?: Record<string, unknown>;
}

function toMap(init: Record<string, unknown> | undefined): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (init) for (const [k, v] of Object.entries(init)) if (v !== undefined) map.set(k, v);
  return map;
}

/** The in-process store: tests, the CLI, and the cache a runner keeps in front of Redis. */
export class MemoryBlackboard implements BlackboardStore {
  private readonly globalScope: Map<string, unknown>;
  private readonly teamScope: Map<string, unknown>;
  private readonly execScope: Map<string, unknown>;

  constructor(init?: BlackboardInit, shared?: MemoryBlackboard) {
    this.globalScope = shared ? shared.globalScope : toMap(init?.global);
    this.teamScope = shared ? shared.teamScope : toMap(init?.team);
    this.execScope = toMap(init?.exec);
  }

  /** Another execution of the same team: shares global and team scopes, owns its exec scope. */
  withExec(exec?: Record<string, unknown>): MemoryBlackboard {
    return new MemoryBlackboard({ exec }, this);
  }

  get(scope: StoreScope, key: string): unknown {
    return this.scope(scope).get(key);
  }

  has(scope: StoreScope, key: string): boolean {
    return this.scope(scope).has(key);
  }

  set(scope: StoreScope, key: string, value: unknown): void {
    // `undefined` means "no such key" in the store contract, so it cannot be a value.
    if (value === undefined) this.scope(scope).delete(key);
    else this.scope(scope).set(key, value);
  }

  delete(scope: StoreScope, key: string): void {
    this.scope(scope).delete(key);
  }

  snapshot(scope: StoreScope): Record<string, unknown> {
    return Object.fromEntries(this.scope(scope));
  }

  private scope(scope: StoreScope): Map<string, unknown> {
    return scope === 'exec' ? this.execScope : scope === 'team' ? this.teamScope : this.globalScope;
  }
}
