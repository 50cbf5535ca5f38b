import { tickMsgId, type BlackboardChanged, type TickRecordMessage } from '@canopy/contracts';
import { ActionRegistry, buildTree, systemClock, type ActionFn, type ActionResolver, type Clock, type LlmProvider, type TreeDocument, type TreeLimits } from '@canopy/engine';
import type { ExecMeta } from '../executions/execution-meta';
import { prepareSwap } from '../reload/tree-swap';
import { AppError } from '@canopy/service-kit';
import type { Subscription } from '@nats-io/nats-core';
import type { CommitHost } from '../commit/committer';
import type { Outbox } from '../delivery/outbox';
import type { Publisher } from '../delivery/publisher';
import { Execution, ownerGone } from '../executions/execution';
import { EventQueue } from '../executions/event-queue';
import type { EventStore } from '../executions/event-store';
import { ExecutionDebug } from '../executions/execution-debug';
import { watchdogOf } from '../executions/execution-meta';
import type { ExecutionStore } from '../executions/execution-store';
import type { LlmBudgets } from '../executions/llm-budget';
import { GLOBAL_SCOPE, ScopeView, scopeList, scopesOf, type ScopeCache } from '../executions/scope-cache';
import type { Log } from '../log';
import type { ShardListener } from '../ownership/shard-manager';
import type { TreeDocuments } from '../registry/tree-documents';
import type { Scheduler } from './scheduler';

export interface ExecutionHostDeps {
  runnerId: string;
  store: ExecutionStore;
  /** External events' queues (loaded with each execution). */
  events: EventStore;
  documents: TreeDocuments;
  cache: ScopeCache;
  outbox: Outbox;
  publisher: Publisher;
  scheduler: Scheduler<string>;
  /** Resolves action names not registered locally (remote actions over NATS). */
  remoteActions: ActionResolver;
  /** Actions served in-process (tests, embedding); they win over remote ones. */
  localActions?: Record<string, ActionFn>;
  llm?: LlmProvider;
  /** Token budgets and per-execution defaults wrapped around `llm`. */
  budgets?: LlmBudgets;
  /** Trees are built with these (default DEFAULT_TREE_LIMITS); a hot reload keeps them. */
  treeLimits?: TreeLimits;
  log: Log;
  clock?: Clock;
  /** How long a clean handover waits for the shard's undelivered records before letting go. */
  handoverDeliveryMs?: number;
}

/** What the host needs from ownership: our epoch per shard, and how to give a shard up. */
export interface ShardOwnership {
  epochOf(shard: number): number | undefined;
  lose(shard: number): void;
}

/** How long an execution whose commit failed on Redis waits before trying again. */
const RETRY_AFTER_MS = 1000;
const HANDOVER_DELIVERY_MS = 2000;
const COMMAND_DRAIN_MS = 1000;

/**
 * The executions this runner owns: loading them when a shard is taken, deciding when each ticks
 * (through the one scheduler), and letting them go on handover or fencing. Commands and the tick
 * slot find them here.
 */
export class ExecutionHost implements ShardListener, CommitHost {
  readonly runnerId: string;
  readonly scheduler: Scheduler<string>;
  private readonly executions = new Map<string, Execution>();
  /** Loaded executions by the team and exec scopes they read (every one reads global). */
  private readonly readers = new Map<string, Set<Execution>>();
  private readonly loading = new Map<string, Promise<Execution | undefined>>();
  private readonly commandSubs = new Map<number, Subscription>();
  /** Shards being handed over: their executions are not loaded again here. */
  private readonly releasing = new Set<number>();
  private readonly actions: ActionRegistry;
  private ownership: ShardOwnership | undefined;
  private subscribeCommands: ((shard: number) => Subscription) | undefined;

  constructor(private readonly deps: ExecutionHostDeps) {
    this.runnerId = deps.runnerId;
    this.scheduler = deps.scheduler;
    this.actions = new ActionRegistry(deps.remoteActions);
    for (const [name, fn] of Object.entries(deps.localActions ?? {})) this.actions.register(name, fn);
  }

  attach(ownership: ShardOwnership, subscribeCommands: (shard: number) => Subscription): void {
    this.ownership = ownership;
    this.subscribeCommands = subscribeCommands;
  }

  execution(id: string): Execution | undefined {
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

  /**
   * Clean handover: no new commands, the slot in flight commits, the executions go (nothing of
   * them ticks again here), and what they committed is delivered before the lease is released
   * (bounded: what is left stays in the Redis outbox for the next owner to deliver).
   */
  async shardReleasing(shard: number): Promise<void> {
    this.releasing.add(shard);
    try {
      await this.handOver(shard);
    } finally {
      this.releasing.delete(shard);
    }
  }

  private async handOver(shard: number): Promise<void> {
    // Drain, not unsubscribe: a command the server already delivered is answered (OWNER_UNAVAILABLE
    // once its execution is gone here) instead of dropped, which the gateway could only wait out.
    await this.drain(shard);
    await this.scheduler.idle(this.ofShard(shard).map((e) => e.id));
    const execs = this.ofShard(shard);
    for (const exec of execs) this.unloadLocal(exec, ownerGone());
    await this.deps.outbox.settle(
      execs.map((e) => e.id),
      this.deps.handoverDeliveryMs ?? HANDOVER_DELIVERY_MS,
    );
    this.deps.log.info({ shard }, 'shard handed over');
  }

  shardLost(shard: number): void {
    this.unsubscribe(shard);
    for (const exec of this.ofShard(shard)) {
      this.unloadLocal(exec, new AppError('FENCED', `runner ${this.runnerId} lost shard ${shard}`));
    }
    this.deps.log.warn({ shard }, 'shard lost');
  }

  shardFenced(shard: number): void {
    this.ownership?.lose(shard);
  }

  // ---- Loading -------------------------------------------------------------------------------

  /** The loaded execution, loading it from Redis if this runner owns its shard. */
  async ensureLoaded(id: string, shard: number): Promise<Execution | undefined> {
    const loaded = this.executions.get(id);
    if (loaded) return loaded;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id, shard).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string, shard: number): Promise<Execution | undefined> {
    if (this.epochOf(shard) === undefined || this.releasing.has(shard)) throw ownerGone();
    const [meta, checkpoint, outbox, debug, events] = await Promise.all([
      this.deps.store.readMeta(id),
      this.deps.store.readCheckpoint(id),
      this.deps.store.readOutbox(id),
      this.deps.store.readDebug(id),
      this.deps.events.load(id),
    ]);
    if (!meta) return undefined;
    const [doc, library, pending] = await Promise.all([
      this.deps.documents.get(meta.tree, meta.version),
      this.deps.documents.library(meta.library),
      this.pendingDocs(meta),
    ]);
    const scopes = scopesOf(id, meta.team);
    const acquired: string[] = [];
    try {
      for (const scope of scopeList(scopes)) {
        // Cached already: it may lack what the previous owner committed and never announced.
        if (await this.deps.cache.acquire(scope)) this.deps.cache.markStale(scope);
        acquired.push(scope);
      }
      const view = new ScopeView(this.deps.cache, scopes);
      const tree = buildTree(doc, {
        execId: id,
        clock: this.deps.clock ?? systemClock,
        blackboard: view,
        actions: this.actions,
        llm: this.llmOf(meta),
        onWake: () => this.wake(id),
        record: { nodes: true, writes: true, logs: true, progress: true, errors: true },
        // Before the restore: the checkpoint carries the watched nodes' episodes.
        watchdog: watchdogOf(meta),
        library,
        limits: this.deps.treeLimits,
      });
      if (checkpoint) {
        try {
          tree.restore(checkpoint);
        } catch (error) {
          this.deps.log.error({ err: error, execId: id }, 'checkpoint does not fit the tree; starting from its root');
        }
      }
      if (this.epochOf(shard) === undefined || this.executions.has(id)) throw ownerGone();
      const exec = new Execution(meta, shard, tree, view);
      if (meta.pending && pending) {
        try {
          // A let-finish-then-swap stored by the previous owner: the first tick after the run finishes swaps.
          exec.swap = prepareSwap(tree, pending.doc, pending.library, { ...meta.pending, policy: 'let-finish-then-swap' });
        } catch (error) {
          this.deps.log.error({ err: error, execId: id }, 'pending reload does not build; dropped');
        }
      }
      // Events not taken by a committed tick: a paused tick's (the oldest) and those after them.
      exec.events = new EventQueue(events);
      if (debug !== null) {
        try {
          // Breakpoints, watches and a paused tick, which goes on from the same boundary here.
          exec.debug = ExecutionDebug.fromJson(tree, debug);
        } catch (error) {
          this.deps.log.error({ err: error, execId: id }, 'debugger state does not fit the execution; dropped');
        }
      }
      this.executions.set(id, exec);
      for (const scope of [exec.view.scopes.team, exec.view.scopes.exec]) {
        const set = this.readers.get(scope) ?? new Set<Execution>();
        this.readers.set(scope, set.add(exec));
      }
      this.deps.outbox.numberFrom(id, meta.tick, this.epochOf(shard) as number);
      // Records the previous owner committed and may not have delivered go out before any new tick.
      this.deps.outbox.replay(
        id,
        outbox.map(({ tick, record }) => ({
          tick,
          record,
          then: this.replayedEvents(id, record),
          msgId: tickMsgId(id, tick, exec.meta.createdAt),
        })),
      );
      this.resumeLoaded(exec);
      return exec;
    } catch (error) {
      for (const scope of acquired) this.deps.cache.release(scope);
      throw error;
    }
  }

  /** The execution's provider: its own defaults and budgets around the runner's. */
  private llmOf(loaded: ExecMeta): LlmProvider | undefined {
    const { llm, budgets } = this.deps;
    if (llm === undefined || budgets === undefined) return llm;
    // The tokens used grow with each committed tick: read the execution's current metadata.
    return budgets.guard(llm, loaded, () => this.executions.get(loaded.id)?.meta ?? loaded);
  }

  /** The documents of a pending let-finish-then-swap, if there is one. */
  private async pendingDocs(meta: ExecMeta): Promise<{ doc: TreeDocument; library: TreeDocument[] } | undefined> {
    if (!meta.pending) return undefined;
    const [doc, library] = await Promise.all([
      this.deps.documents.get(meta.tree, meta.pending.version),
      this.deps.documents.library(meta.pending.library),
    ]);
    return { doc, library };
  }

  /** The events of a replayed record, derived from it as the previous owner would have. */
  private replayedEvents(id: string, json: string): (seq: number) => number {
    return (seq) => {
      const message = JSON.parse(json) as TickRecordMessage;
      const scopes = this.executions.get(id)?.view.scopes;
      const scopeOf = (scope: string) => (scopes && (scope === 'global' || scope === 'team' || scope === 'exec') ? scopes[scope] : scope);
      return this.deps.publisher.tickEvents(id, message, scopeOf, this.deps.publisher.eventHeaders(), seq);
    };
  }

  /** After a load: continue by state and mode (an event execution mid-run gets one tick to catch up). */
  private resumeLoaded(exec: Execution): void {
    if (exec.meta.state === 'running' && exec.meta.mode === 'event' && exec.meta.status === 'RUNNING') {
      exec.triggered = true;
    }
    // Queued events are triggers not served yet (an event execution that is paused keeps them).
    if (exec.meta.mode === 'event' && exec.events.length > 0) exec.triggered = true;
    this.plan(exec);
  }

  /** Rebuilds an execution from its last commit (memory got ahead of Redis). */
  async reload(exec: Execution): Promise<void> {
    for (const scope of scopeList(exec.view.scopes)) this.deps.cache.markStale(scope);
    await this.deps.cache.refresh(scopeList(exec.view.scopes));
    // It stays here: its outbox queue (and the event numbering of its current tick) stays too.
    this.unloadLocal(exec, new AppError('DEPENDENCY_UNAVAILABLE', 'execution reloaded'), { failManual: false, leaving: false });
    try {
      const again = await this.ensureLoaded(exec.id, exec.shard);
      if (!again) throw new AppError('EXECUTION_NOT_FOUND', `execution ${exec.id} was deleted`);
      // Waiting manual ticks carry over to the rebuilt execution.
      exec.moveManualTo(again);
      if (again.hasManualTicks()) this.scheduler.enqueue(again.id);
    } catch (error) {
      exec.failManual(
        error instanceof AppError ? error : new AppError('DEPENDENCY_UNAVAILABLE', 'execution state could not be reloaded'),
      );
      throw error;
    }
  }

  /**
   * Forgets an execution here, committing nothing: its last commit is what the next owner resumes.
   * The tree is halted so its remote actions are cancelled (the next owner calls them again).
   * `leaving: false` (a rebuild from Redis on this runner) keeps its outbox queue, whose event
   * numbering of the current tick the rebuilt execution's events continue.
   */
  unloadLocal(
    exec: Execution,
    reason: AppError,
    { halt = true, failManual = true, leaving = true }: { halt?: boolean; failManual?: boolean; leaving?: boolean } = {},
  ): void {
    if (exec.closed) return;
    exec.closed = true;
    this.scheduler.cancel(exec.id);
    this.executions.delete(exec.id);
    for (const scope of [exec.view.scopes.team, exec.view.scopes.exec]) {
      const set = this.readers.get(scope);
      if (set?.delete(exec) && set.size === 0) this.readers.delete(scope);
    }
    if (leaving) this.deps.outbox.forget(exec.id);
    try {
      if (halt) exec.tree.halt();
    } catch (error) {
      this.deps.log.warn({ err: error, execId: exec.id }, 'halt on unload threw');
    }
    if (failManual) exec.failManual(reason);
    for (const scope of scopeList(exec.view.scopes)) this.deps.cache.release(scope);
  }

  executionGone(exec: Execution): void {
    this.unloadLocal(exec, new AppError('EXECUTION_NOT_FOUND', `execution ${exec.id} was deleted`));
  }

  // ---- Scheduling ----------------------------------------------------------------------------

  plan(exec: Execution): void {
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
        // A node awaiting an async result gets no tick of its own: one comes when it would be stuck.
        this.scheduler.at(id, Math.min(now + exec.intervalMs, Math.max(now, exec.tree.stuckDeadline)));
      }
    }
    if (exec.hasManualTicks()) this.scheduler.enqueue(id);
  }

  /** Redis is away: try again a little later. */
  retryLater(exec: Execution): void {
    if (exec.closed || (exec.meta.state !== 'running' && !exec.hasManualTicks())) return;
    this.scheduler.at(exec.id, Date.now() + RETRY_AFTER_MS);
  }

  /** The outbox has room again for an execution it held back. */
  deliveryRoom(id: string): void {
    const exec = this.executions.get(id);
    if (exec) this.plan(exec);
  }

  /** An async action settled: an event execution ticks. */
  private wake(id: string): void {
    const exec = this.executions.get(id);
    if (!exec || exec.meta.mode !== 'event') return;
    exec.triggered = true;
    if (exec.meta.state === 'running') this.scheduler.enqueue(id);
  }

  scopeChanged(scope: string, exceptExecId: string): void {
    const readers = scope === GLOBAL_SCOPE ? this.executions.values() : (this.readers.get(scope) ?? []);
    for (const exec of readers) {
      if (exec.id === exceptExecId || exec.meta.mode !== 'event') continue;
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
  async owned(id: string, shard: number): Promise<Execution> {
    const exec = await this.ensureLoaded(id, shard);
    if (!exec) throw new AppError('EXECUTION_NOT_FOUND', `no execution ${id}`);
    return exec;
  }

  // ---- Shutdown ------------------------------------------------------------------------------

  private ofShard(shard: number): Execution[] {
    return [...this.executions.values()].filter((e) => e.shard === shard);
  }

  private unsubscribe(shard: number): void {
    this.commandSubs.get(shard)?.unsubscribe();
    this.commandSubs.delete(shard);
  }

  /** Stops taking the shard's commands, letting those in hand finish (bounded: NATS may be away). */
  private async drain(shard: number): Promise<void> {
    const sub = this.commandSubs.get(shard);
    this.commandSubs.delete(shard);
    if (!sub) return;
    let timer: NodeJS.Timeout | undefined;
    const drained = sub.drain().catch(() => sub.unsubscribe());
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, COMMAND_DRAIN_MS)))]);
    clearTimeout(timer);
  }

  /** Stops the scheduler after the slot in flight (shutdown, after the shards were handed over). */
  async close(): Promise<void> {
    await this.scheduler.stop();
    for (const shard of [...this.commandSubs.keys()]) this.unsubscribe(shard);
    for (const exec of [...this.executions.values()]) this.unloadLocal(exec, ownerGone());
  }
}
