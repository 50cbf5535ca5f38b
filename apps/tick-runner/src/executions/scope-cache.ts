import type { BlackboardStore, StoreScope } from '@canopy/engine';
import type { BlackboardChanged } from '@canopy/contracts';

/** One scope as read from Redis: parsed values and their versions. */
export interface ScopeData {
  values: Map<string, unknown>;
  versions: Map<string, number>;
}

export type ScopeLoader = (scope: string) => Promise<ScopeData>;

interface CachedScope extends ScopeData {
  refs: number;
}

/** A change to one key with the version Redis gave it; `deleted` removes the key. */
export interface VersionedChange {
  scope: string;
  key: string;
  value?: unknown;
  version: number;
  deleted?: boolean;
}

/**
 * The runner's in-memory copy of the persistent scopes: `global` (shared by every execution on the
 * runner), `team:<id>` (per team) and `exec:<id>` (per execution). Engine ticks read and write it
 * synchronously; commits and outside changes update it with versions.
 *
 * The version rule: a change is applied only if its version is newer than the cached one. Changes
 * arrive from two directions (our own commits returning Redis versions, and `canopy.bb.*.changed`
 * from the blackboard service and other runners) in no guaranteed order, and Redis versions only
 * grow, so "newest version wins" converges on what Redis holds whatever the arrival order.
 *
 * An engine write lands here before its commit, so the executions of one runner see each other's
 * writes at once. When a commit is refused or fails, the scopes it wrote hold values Redis never
 * received: the committer marks them stale, and no execution that reads a stale scope ticks before
 * `refresh` has read it again from Redis.
 */
export class ScopeCache {
  private readonly scopes = new Map<string, CachedScope>();
  /**
   * Scopes being read from Redis (first load or reload), with the versioned changes that arrived
   * meanwhile: applied after the read, so a change newer than the read is never lost.
   */
  private readonly loading = new Map<string, { promise: Promise<void>; buffered: VersionedChange[] }>();
  private readonly stale = new Set<string>();

  constructor(private readonly loader: ScopeLoader) {}

  isCached(scope: string): boolean {
    return this.scopes.has(scope);
  }

  /** Takes a reference on `scope`, loading it from Redis on first use; true when it was cached already. */
  async acquire(scope: string): Promise<boolean> {
    const cached = this.scopes.get(scope);
    if (cached) {
      cached.refs++;
      return true;
    }
    await (this.loading.get(scope)?.promise ?? this.read(scope));
    const loaded = this.scopes.get(scope);
    if (loaded) loaded.refs++;
    return false;
  }

  /** Drops a reference; the scope leaves the cache with its last user. */
  release(scope: string): void {
    const cached = this.scopes.get(scope);
    if (!cached) return;
    cached.refs--;
    if (cached.refs <= 0) {
      this.scopes.delete(scope);
      this.stale.delete(scope);
    }
  }

  /** The scope may hold values Redis does not have (a refused or failed commit wrote them). */
  markStale(scope: string): void {
    if (this.scopes.has(scope)) this.stale.add(scope);
  }

  /**
   * Every cached scope may have missed changes: announcements on core NATS are lost when NATS
   * restarts, and a runner that dies between a commit and its announcement never sends it.
   */
  markAllStale(): void {
    for (const scope of this.scopes.keys()) this.stale.add(scope);
  }

  isStale(scope: string): boolean {
    return this.stale.has(scope);
  }

  /** Reads every stale scope of `scopes` again from Redis; rejects (leaving them stale) if Redis fails. */
  async refresh(scopes: Iterable<string>): Promise<void> {
    const wanted = [...new Set(scopes)].filter((s) => this.stale.has(s));
    await Promise.all(wanted.map((s) => this.loading.get(s)?.promise ?? this.read(s)));
  }

  /** Loads (or reloads) a scope, buffering versioned changes that arrive during the read. */
  private read(scope: string): Promise<void> {
    const buffered: VersionedChange[] = [];
    const promise = this.loader(scope).then(
      (data) => {
        this.loading.delete(scope);
        const cached = this.scopes.get(scope);
        if (cached) {
          cached.values = data.values;
          cached.versions = data.versions;
        } else {
          this.scopes.set(scope, { ...data, refs: 0 });
        }
        this.stale.delete(scope);
        for (const change of buffered) this.apply(change);
      },
      (error: unknown) => {
        this.loading.delete(scope);
        throw error;
      },
    );
    this.loading.set(scope, { promise, buffered });
    return promise;
  }

  get(scope: string, key: string): unknown {
    return this.scopes.get(scope)?.values.get(key);
  }

  has(scope: string, key: string): boolean {
    return this.scopes.get(scope)?.values.has(key) ?? false;
  }

  version(scope: string, key: string): number {
    return this.scopes.get(scope)?.versions.get(key) ?? 0;
  }

  /** A tick's write: visible at once to every reader on this runner; the version comes with the commit. */
  writeLocal(scope: string, key: string, value: unknown): void {
    this.scopes.get(scope)?.values.set(key, value);
  }

  deleteLocal(scope: string, key: string): void {
    this.scopes.get(scope)?.values.delete(key);
  }

  /** Every key of a scope now (a new object; values are replaced, never changed in place). */
  entries(scope: string): Record<string, unknown> {
    return Object.fromEntries(this.scopes.get(scope)?.values ?? []);
  }

  /**
   * Applies a versioned change if it is newer than what the cache holds. Returns whether it was
   * applied. Changes to scopes being read are kept and replayed once the read finishes.
   */
  apply(change: VersionedChange): boolean {
    const pending = this.loading.get(change.scope);
    if (pending) {
      pending.buffered.push(change);
      return false;
    }
    const cached = this.scopes.get(change.scope);
    if (!cached) return false;
    const current = cached.versions.get(change.key) ?? 0;
    if (change.version <= current) return false;
    cached.versions.set(change.key, change.version);
    if (change.deleted) cached.values.delete(change.key);
    else cached.values.set(change.key, change.value);
    return true;
  }

  /** An outside change announced on `canopy.bb.<scope>.changed`. */
  applyOutside(change: BlackboardChanged): boolean {
    return this.apply({
      scope: change.scope,
      key: change.key,
      value: change.value,
      version: change.version,
      deleted: change.deleted,
    });
  }
}

/** The concrete scope names one execution sees behind the engine's `global` / `team` / `exec`. */
export interface ExecutionScopes {
  global: string;
  team: string;
  exec: string;
}

export const scopeList = (scopes: ExecutionScopes): string[] => [scopes.global, scopes.team, scopes.exec];

export const GLOBAL_SCOPE = 'global';
export const execScope = (execId: string) => `exec:${execId}`;
/**
 * Without a team an execution's `team` scope is private to it: `team:<execId>`. Execution ids and
 * team ids share one namespace here, so a team named exactly like an execution would share it; the
 * alternative (aliasing `team` to `exec`) would make `$team:k` and `$exec:k` one key, which is worse.
 */
export const teamScope = (team: string | undefined, execId: string) => `team:${team ?? execId}`;

export function scopesOf(execId: string, team: string | undefined): ExecutionScopes {
  return { global: GLOBAL_SCOPE, team: teamScope(team, execId), exec: execScope(execId) };
}

/** The engine's synchronous BlackboardStore for one execution, over the shared cache. */
export class ScopeView implements BlackboardStore {
  constructor(
    private readonly cache: ScopeCache,
    readonly scopes: ExecutionScopes,
  ) {}

  get(scope: StoreScope, key: string): unknown {
    return this.cache.get(this.scopes[scope], key);
  }

  has(scope: StoreScope, key: string): boolean {
    return this.cache.has(this.scopes[scope], key);
  }

  set(scope: StoreScope, key: string, value: unknown): void {
    this.cache.writeLocal(this.scopes[scope], key, value);
  }

  delete(scope: StoreScope, key: string): void {
    this.cache.deleteLocal(this.scopes[scope], key);
  }

  /** The debugger freezes a paused tick's view of the scopes with this. */
  snapshot(scope: StoreScope): Record<string, unknown> {
    return this.cache.entries(this.scopes[scope]);
  }
}
