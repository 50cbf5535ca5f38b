import type { Redis } from 'ioredis';
import type { BlackboardChanged, TickRecordMessage } from '@canopy/contracts';
import { ActionRegistry, buildTree, systemClock, type ActionFn, type ActionResolver, type Clock } from '@canopy/engine';
import { RunnerError } from '../errors';
import type { Log } from '../log';
import type { RunnerMetrics } from '../metrics';
import type { BusSubscription } from '../messaging/bus';
import type { ShardListener } from '../ownership/shard-manager';
import { Scheduler, type SchedulerClock } from '../scheduling/scheduler';
import { ExecutionRuntime } from './execution-runtime';
import type { ExecutionStore } from './execution-store';
import type { Publisher } from './publisher';
import { ScopeView, scopesOf, type ScopeCache } from './scope-cache';
import { TickPipeline, type PipelineHost } from './tick-pipeline';
import type { TreeDocuments } from './tree-documents';

export interface ExecutionHostDeps {
  runnerId: string;
  redis: Redis;
  store: ExecutionStore;
  documents: TreeDocuments;
  cache: ScopeCache;
  publisher: Publisher;
  /** Resolves action names not registered locally (remote actions over NATS). */
  remoteActions: ActionResolver;
  /** Actions served in-process (tests, embedding); they win over remote ones. */
  localActions?: Record<string, ActionFn>;
  log: Log;
  metrics?: RunnerMetrics;
  clock?: Clock;
  schedulerClock?: SchedulerClock;
}

/** What the host needs from ownership: our epoch per shard, and how to give a shard up. */
export interface ShardOwnership {
  epochOf(shard: number): number | undefined;
  lose(shard: number): void;
}

/** How long an execution whose tick failed on Redis waits before trying again. */
const RETRY_AFTER_MS = 1000;

export const OWNER_GONE = () => new RunnerError('OWNER_UNAVAILABLE', 'the execution moved to another runner; retry');

/**
 * The executions this runner owns: loading them when a shard is taken, serving their commands,
 * deciding when each ticks (through the one scheduler) and letting them go on handover or fencing.
 */
export class ExecutionHost implements PipelineHost, ShardListener {
  readonly runnerId: string;
  readonly scheduler: Scheduler<string>;
  private readonly executions = new Map<string, ExecutionRuntime>();
  private readonly loading = new Map<string, Promise<ExecutionRuntime | undefined>>();
  private readonly commandSubs = new Map<number, BusSubscription>();
  private readonly pipeline: TickPipeline;
  private readonly actions: ActionRegistry;
  private ownership: ShardOwnership | undefined;
  private subscribeCommands: ((shard: number) => BusSubscription) | undefined;

  constructor(private readonly deps: ExecutionHostDeps) {
    this.runnerId = deps.runnerId;
    this.actions = new ActionRegistry(deps.remoteActions);
    for (const [name, fn] of Object.entries(deps.localActions ?? {})) this.actions.register(name, fn);
    this.pipeline = new TickPipeline(deps.redis, deps.cache, deps.publisher, this, deps.log, deps.metrics);
    this.scheduler = new Scheduler(this.pipeline.runSlot, deps.schedulerClock, (error) =>
      deps.log.error({ err: error }, 'scheduler slot failed'),
    );
  }

  attach(ownership: ShardOwnership, subscribeCommands: (shard: number) => BusSubscription): void {
    this.ownership = ownership;
    this.subscribeCommands = subscribeCommands;
  }

  execution(id: string): ExecutionRuntime | undefined {
    return this.executions.get(id);
  }

  loadedIds(): string[] {
    return [...this.executions.keys()];
  }

  /** What this runner's cache holds for a key (diagnostics and tests). */
  peek(scope: string, key: string): unknown {
    return this.deps.cache.get(scope, key);
  }

  epochOf(shard: number): number | undefined {
    return this.ownership?.epochOf(shard);
  }

  // ---- ShardListener -------------------------------------------------------------------------

  async shardAcquired(shard: number): Promise<void> {
    if (this.subscribeCommands && !this.commandSubs.has(shard)) {
      this.commandSubs.set(shard, this.subscribeCommands(shard));
    }
    const ids = await this.deps.store.shardIds(shard);
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map((id) =>
          this.ensureLoaded(id, shard).catch((error: unknown) =>
            this.deps.log.error({ err: error, execId: id, shard }, 'could not load execution'),
          ),
        ),
      );
    }
    this.deps.log.info({ shard, executions: ids.length }, 'shard acquired');
  }

  async shardReleasing(shard: number): Promise<void> {
    this.unsubscribe(shard);
    // Let the slot in flight commit and publish; nothing of this shard ticks after it.
    await this.scheduler.idle();
    for (const exec of this.ofShard(shard)) this.unloadLocal(exec, OWNER_GONE());
    this.deps.log.info({ shard }, 'shard handed over');
  }

  shardLost(shard: number): void {
    this.unsubscribe(shard);
    for (const exec of this.ofShard(shard)) {
      this.unloadLocal(exec, new RunnerError('FENCED', `runner ${this.runnerId} lost shard ${shard}`));
    }
    this.deps.log.warn({ shard }, 'shard lost');
  }

  shardFenced(shard: number): void {
    this.ownership?.lose(shard);
  }

  // ---- Loading -------------------------------------------------------------------------------

  /** The loaded execution, loading it from Redis if this runner owns its shard. */
  async ensureLoaded(id: string, shard: number): Promise<ExecutionRuntime | undefined> {
    const loaded = this.executions.get(id);
    if (loaded) return loaded;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id, shard).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string, shard: number): Promise<ExecutionRuntime | undefined> {
    if (this.epochOf(shard) === undefined) throw OWNER_GONE();
    const [meta, checkpoint, lastRecord] = await Promise.all([
      this.deps.store.readMeta(id),
      this.deps.store.readCheckpoint(id),
      this.deps.store.readLastRecord(id),
    ]);
    if (!meta) return undefined;
    const [doc, library] = await Promise.all([
      this.deps.documents.get(meta.tree, meta.version),
      this.deps.documents.library(meta.library),
    ]);
    const scopes = scopesOf(id, meta.team);
    const names = [scopes.global, scopes.team, scopes.exec];
    const acquired: string[] = [];
    try {
      for (const scope of names) {
        await this.deps.cache.acquire(scope);
        acquired.push(scope);
      }
      const view = new ScopeView(this.deps.cache, scopes);
      const tree = buildTree(doc, {
        execId: id,
        clock: this.deps.clock ?? systemClock,
        blackboard: view,
        actions: this.actions,
        onWake: () => this.wake(id),
        record: { nodes: true, writes: true, logs: true, progress: true, errors: true },
        library,
      });
      if (checkpoint) {
        try {
          tree.restore(checkpoint);
        } catch (error) {
          this.deps.log.error({ err: error, execId: id }, 'checkpoint does not fit the tree; starting from its root');
        }
      }
      if (lastRecord) await this.replayOutbox(lastRecord);
      if (this.epochOf(shard) === undefined || this.executions.has(id)) throw OWNER_GONE();
      const exec = new ExecutionRuntime(meta, shard, tree, view);
      this.executions.set(id, exec);
      this.resumeLoaded(exec);
      return exec;
    } catch (error) {
      for (const scope of acquired) this.deps.cache.release(scope);
      throw error;
    }
  }

  /**
   * The previous owner may have committed its last tick and died before publishing it: publish it
   * again. The stream drops it as a duplicate (same `<execId>:<tick>` id) if it did get out.
   */
  private async replayOutbox(message: TickRecordMessage): Promise<void> {
    try {
      await this.deps.publisher.republishTick(message);
    } catch (error) {
      this.deps.log.warn({ err: error, execId: message.execId, tick: message.tick }, 'outbox replay failed');
    }
  }

  /** After a load: continue by state and mode (an event execution mid-run gets one tick to catch up). */
  private resumeLoaded(exec: ExecutionRuntime): void {
    if (exec.meta.state === 'running' && exec.meta.mode === 'event' && exec.meta.status === 'RUNNING') {
      exec.triggered = true;
    }
    this.plan(exec);
  }

  async reload(exec: ExecutionRuntime): Promise<void> {
    const { scopes } = exec.view;
    await Promise.all([scopes.global, scopes.team, scopes.exec].map((s) => this.deps.cache.reload(s)));
    this.unloadLocal(exec, new RunnerError('DEPENDENCY_UNAVAILABLE', 'execution reloaded'));
    await this.ensureLoaded(exec.id, exec.shard);
  }

  /**
   * Forgets an execution here, committing nothing: its last commit is what the next owner resumes.
   * The tree is halted so its remote actions are cancelled (the next owner calls them again).
   */
  unloadLocal(exec: ExecutionRuntime, reason: unknown, halt = true): void {
    if (exec.closed) return;
    exec.closed = true;
    this.scheduler.cancel(exec.id);
    this.executions.delete(exec.id);
    try {
      if (halt) exec.tree.halt();
    } catch (error) {
      this.deps.log.warn({ err: error, execId: exec.id }, 'halt on unload threw');
    }
    exec.failManual(reason);
    const { scopes } = exec.view;
    for (const scope of [scopes.global, scopes.team, scopes.exec]) this.deps.cache.release(scope);
  }

  executionGone(exec: ExecutionRuntime): void {
    this.unloadLocal(exec, new RunnerError('EXECUTION_NOT_FOUND', `execution ${exec.id} was deleted`));
  }

  // ---- Scheduling ----------------------------------------------------------------------------

  plan(exec: ExecutionRuntime): void {
    if (exec.closed) return;
    const { id, meta } = exec;
    const now = Date.now();
    if (meta.state !== 'running') {
      this.scheduler.cancel(id);
    } else if (meta.mode === 'auto') {
      this.scheduler.enqueue(id);
    } else if (meta.mode === 'interval') {
      if (this.scheduler.dueOf(id) === undefined) {
        const due = exec.nextDue === undefined ? now : Math.max(now, exec.nextDue + exec.intervalMs);
        exec.nextDue = due;
        this.scheduler.at(id, due);
      }
    } else if (meta.mode === 'event') {
      if (exec.triggered) this.scheduler.enqueue(id);
      else if (meta.status === 'RUNNING' && this.scheduler.dueOf(id) === undefined) {
        this.scheduler.at(id, now + exec.intervalMs);
      }
    }
    if (exec.hasManualTicks()) this.scheduler.enqueue(id);
  }

  retryLater(exec: ExecutionRuntime): void {
    if (exec.closed || exec.meta.state !== 'running') return;
    this.scheduler.at(exec.id, Date.now() + RETRY_AFTER_MS);
  }

  /** An async action settled: an event execution ticks. */
  private wake(id: string): void {
    const exec = this.executions.get(id);
    if (!exec || exec.meta.mode !== 'event') return;
    exec.triggered = true;
    if (exec.meta.state === 'running') this.scheduler.enqueue(id);
  }

  scopeChanged(scope: string, exceptExecId: string): void {
    for (const exec of this.executions.values()) {
      if (exec.id === exceptExecId || exec.meta.mode !== 'event') continue;
      const { scopes } = exec.view;
      if (scopes.global !== scope && scopes.team !== scope && scopes.exec !== scope) continue;
      exec.triggered = true;
      if (exec.meta.state === 'running') this.scheduler.enqueue(exec.id);
    }
  }

  /** A change made outside this runner's ticks; applied to the cache if newer, then wakes readers. */
  applyOutsideChange(change: BlackboardChanged): boolean {
    const applied = this.deps.cache.applyOutside(change);
    if (applied) this.scopeChanged(change.scope, '');
    return applied;
  }

  /** The loaded execution, or EXECUTION_NOT_FOUND when Redis does not know it either. */
  async owned(id: string, shard: number): Promise<ExecutionRuntime> {
    const exec = await this.ensureLoaded(id, shard);
    if (!exec) throw new RunnerError('EXECUTION_NOT_FOUND', `no execution ${id}`);
    return exec;
  }

  // ---- Shutdown ------------------------------------------------------------------------------

  private ofShard(shard: number): ExecutionRuntime[] {
    return [...this.executions.values()].filter((e) => e.shard === shard);
  }

  private unsubscribe(shard: number): void {
    this.commandSubs.get(shard)?.unsubscribe();
    this.commandSubs.delete(shard);
  }

  /** Stops the scheduler after the slot in flight (shutdown, after the shards were handed over). */
  async close(): Promise<void> {
    await this.scheduler.stop();
    for (const shard of [...this.commandSubs.keys()]) this.unsubscribe(shard);
    for (const exec of [...this.executions.values()]) this.unloadLocal(exec, OWNER_GONE());
  }
}
