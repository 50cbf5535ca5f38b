import type { Context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import type { Execution, StartRequest, TickResponse } from '@canopy/contracts';
import { RunnerError } from '../errors';
import { parseCommitReply, persistentWrites, queueCommit, type ScopeWrite } from './commit';
import { OWNER_GONE, type ExecutionHost } from './execution-host';
import { toExecution, type ExecMeta } from './execution-meta';
import { stoppedError, type ExecutionRuntime } from './execution-runtime';
import type { Publisher } from './publisher';
import type { ScopeCache } from './scope-cache';

/** A command's change of an execution, committed before its lifecycle event goes out. */
interface PlannedChange {
  next: ExecMeta;
  /** Store the tree's checkpoint too (the change touched node state). */
  checkpoint?: boolean;
  writes?: ScopeWrite[];
  /** The lifecycle event, published once the change is committed. */
  event: () => void;
}

/**
 * Owner commands on `canopy.cmd.<shard>.<execId>`, for executions this runner holds. Ticks and
 * triggers go through the scheduler; state changes are applied between slots and committed through
 * the fenced script.
 */
export class ExecutionCommands {
  constructor(
    private readonly host: ExecutionHost,
    private readonly redis: Redis,
    private readonly cache: ScopeCache,
    private readonly publisher: Publisher,
  ) {}

  async get(id: string, shard: number): Promise<Execution> {
    const exec = await this.host.owned(id, shard);
    return toExecution(exec.meta, this.host.runnerId);
  }

  async tick(id: string, shard: number, count: number, parent?: Context): Promise<TickResponse> {
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'stopped') throw stoppedError(id);
    exec.parent = parent;
    const done = exec.requestTicks(count);
    this.host.scheduler.enqueue(id);
    return done;
  }

  async trigger(id: string, shard: number, parent?: Context): Promise<{ queued: true }> {
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'stopped') throw stoppedError(id);
    if (exec.meta.mode !== 'event') {
      throw new RunnerError('EXECUTION_NOT_STARTABLE', `execution ${id} is in ${exec.meta.mode} mode; triggers drive event mode`);
    }
    exec.triggered = true;
    exec.parent = parent;
    if (exec.meta.state === 'running') this.host.scheduler.enqueue(id);
    return { queued: true };
  }

  async start(id: string, shard: number, req: StartRequest): Promise<Execution> {
    return this.changeState(id, shard, (exec) => {
      if (exec.meta.state === 'stopped') throw stoppedError(id);
      exec.nextDue = undefined;
      exec.triggered = false;
      this.host.scheduler.cancel(id);
      return {
        next: {
          ...exec.meta,
          mode: req.mode,
          intervalMs: req.intervalMs ?? exec.meta.intervalMs,
          maxTicks: req.maxTicks,
          state: 'running',
          runStartTick: exec.meta.tick,
        },
        event: () => this.publisher.event(exec, exec.meta.tick, 'execution_started', { mode: req.mode }),
      };
    });
  }

  async pause(id: string, shard: number): Promise<Execution> {
    return this.changeState(id, shard, (exec) => {
      if (exec.meta.state === 'stopped') throw stoppedError(id);
      if (exec.meta.state !== 'running') return undefined;
      return {
        next: { ...exec.meta, state: 'paused' },
        event: () => this.publisher.event(exec, exec.meta.tick, 'execution_paused', {}),
      };
    });
  }

  async resume(id: string, shard: number): Promise<Execution> {
    return this.changeState(id, shard, (exec) => {
      if (exec.meta.state === 'stopped') throw stoppedError(id);
      if (exec.meta.state !== 'paused') return undefined;
      exec.nextDue = undefined;
      return {
        next: { ...exec.meta, state: 'running' },
        event: () => this.publisher.event(exec, exec.meta.tick, 'execution_started', { mode: exec.meta.mode }),
      };
    });
  }

  /** Halts the tree (cancelling running actions) and keeps it stopped for good. */
  async stop(id: string, shard: number): Promise<Execution> {
    return this.changeState(id, shard, (exec) => {
      if (exec.meta.state === 'stopped') return undefined;
      const halted = exec.tree.halt();
      exec.finishManual();
      return {
        next: { ...exec.meta, state: 'stopped', status: exec.tree.status },
        checkpoint: true,
        writes: persistentWrites(halted, exec.view.scopes),
        event: () => this.publisher.event(exec, exec.meta.tick, 'execution_stopped', {}),
      };
    });
  }

  /**
   * Before a delete: halt (cancelling remote actions) and commit what the halt released (team
   * semaphores), then forget the execution here.
   */
  async unload(id: string, shard: number): Promise<{ unloaded: true }> {
    await this.host.scheduler.idle();
    const exec = this.host.execution(id);
    if (!exec) return { unloaded: true };
    try {
      await this.changeState(id, shard, (e) => {
        const halted = e.tree.halt();
        const writes = persistentWrites(halted, e.view.scopes);
        return writes.length === 0 ? undefined : { next: e.meta, writes, event: () => undefined };
      });
    } finally {
      this.host.unloadLocal(exec, new RunnerError('EXECUTION_NOT_FOUND', `execution ${id} was unloaded`), false);
    }
    return { unloaded: true };
  }

  /**
   * A command's state change: applied between slots (so no tick of this execution is in flight),
   * in memory first and then committed through the fenced script. The commit is sent before any
   * later slot's pipeline, on the same connection, so Redis sees changes in the order we made them.
   */
  private async changeState(
    id: string,
    shard: number,
    change: (exec: ExecutionRuntime) => PlannedChange | undefined,
  ): Promise<Execution> {
    await this.host.owned(id, shard);
    await this.host.scheduler.idle();
    const exec = this.host.execution(id);
    if (!exec) throw OWNER_GONE();
    const planned = change(exec);
    if (!planned) return toExecution(exec.meta, this.host.runnerId);
    const epoch = this.host.epochOf(shard);
    if (epoch === undefined) throw OWNER_GONE();
    exec.meta = planned.next;
    const pipeline = this.redis.pipeline();
    queueCommit(pipeline, {
      runnerId: this.host.runnerId,
      shard,
      epoch,
      kind: 'state',
      meta: planned.next,
      checkpoint: planned.checkpoint ? exec.tree.checkpoint() : undefined,
      writes: planned.writes ?? [],
    });
    const sent = pipeline.exec().catch((e: unknown) => [[e as Error, undefined]] as [Error | null, unknown][]);
    this.host.plan(exec);
    const replies = await sent;
    const [error, reply] = replies?.[0] ?? [new Error('no reply'), undefined];
    if (error) {
      exec.needsReload = true;
      throw new RunnerError('DEPENDENCY_UNAVAILABLE', `could not store the change: ${error.message}`);
    }
    const outcome = parseCommitReply(reply);
    if (outcome.kind === 'fenced') {
      this.host.shardFenced(shard);
      throw new RunnerError('FENCED', `runner ${this.host.runnerId} no longer owns shard ${shard}`);
    }
    if (outcome.kind === 'gone') {
      this.host.executionGone(exec);
      throw new RunnerError('EXECUTION_NOT_FOUND', `execution ${id} was deleted`);
    }
    const writes = planned.writes ?? [];
    const committed = outcome.kind === 'ok' ? writes.map((w, i) => ({ ...w, version: outcome.versions[i] })) : [];
    for (const w of committed) this.cache.apply(w);
    this.publisher.publishSharedChanges(id, committed);
    for (const w of committed) if (!w.scope.startsWith('exec:')) this.host.scopeChanged(w.scope, id);
    planned.event();
    return toExecution(exec.meta, this.host.runnerId);
  }
}
