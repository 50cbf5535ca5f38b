import type { Context } from '@opentelemetry/api';
import type {
  CommandEvent,
  DebugView,
  EventPayloads,
  EventType,
  Execution as ExecutionView,
  StartRequest,
  StepMode,
  TickResponse,
  TriggerResponse,
} from '@canopy/contracts';
import type { Checkpoint } from '@canopy/engine';
import { EVENT_PAYLOAD_MAX_BYTES } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { persistentWrites, type ScopeWrite } from '../commit/commit-request';
import type { Committer } from '../commit/committer';
import type { Outbox } from '../delivery/outbox';
import type { Publisher } from '../delivery/publisher';
import type { EventStore } from '../executions/event-store';
import { toExecution, type ExecMeta } from '../executions/execution-meta';
import { ownerGone, stoppedError, type Execution } from '../executions/execution';
import type { ExecutionHost } from '../ticking/execution-host';

/** A command's change of an execution, committed before its lifecycle event goes out. */
export interface PlannedChange {
  next: ExecMeta;
  /** Store the tree's checkpoint too (the change touched node state). */
  checkpoint?: Checkpoint;
  writes?: ScopeWrite[];
  /** The debugger's state to store (`null` removes it; absent keeps it). */
  debug?: string | null;
  /** The lifecycle event, published once the change is committed, after the ticks before it. */
  event?: LifecycleEvent;
}

type LifecycleEvent = {
  [T in EventType]: { type: T; data: EventPayloads[T] };
}[EventType];

/**
 * Owner commands on `canopy.cmd.<shard>.<execId>`, for executions this runner holds. Ticks and
 * triggers go through the scheduler; state changes are applied between slots and committed through
 * the fenced script.
 */
export class ExecutionCommands {
  constructor(
    private readonly host: ExecutionHost,
    private readonly committer: Committer,
    private readonly outbox: Outbox,
    private readonly publisher: Publisher,
    /** External events: where they are stored, and the bound of each execution's queue. */
    private readonly inbox: { store: EventStore; max: number },
  ) {}

  async get(id: string, shard: number): Promise<ExecutionView> {
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

  async trigger(id: string, shard: number, parent?: Context): Promise<{ queued: true }>;
  async trigger(id: string, shard: number, parent: Context | undefined, event: CommandEvent): Promise<TriggerResponse>;
  async trigger(id: string, shard: number, parent?: Context, event?: CommandEvent): Promise<{ queued: true } | TriggerResponse> {
    if (event !== undefined) return this.queueEvent(id, shard, event, parent);
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'stopped') throw stoppedError(id);
    if (exec.meta.mode !== 'event') {
      throw new AppError('EXECUTION_NOT_STARTABLE', `execution ${id} is in ${exec.meta.mode} mode; triggers drive event mode`);
    }
    exec.triggered = true;
    exec.parent = parent;
    if (exec.meta.state === 'running') this.host.scheduler.enqueue(id);
    return { queued: true };
  }

  /**
   * An external event: stored at the tail of the execution's queue (in Redis, under our lease)
   * before the answer, then mirrored here; an event execution ticks on it (once running). Any
   * mode but stopped takes events: the next tick, however it comes, reads them.
   */
  private async queueEvent(id: string, shard: number, event: CommandEvent, parent?: Context): Promise<TriggerResponse> {
    const payloadBytes = Buffer.byteLength(JSON.stringify(event.payload ?? null));
    if (payloadBytes > EVENT_PAYLOAD_MAX_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', `the event's payload is ${payloadBytes} bytes of JSON; at most ${EVENT_PAYLOAD_MAX_BYTES}`);
    }
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'stopped') throw stoppedError(id);
    const epoch = this.host.epochOf(shard);
    if (epoch === undefined || exec.closed) throw ownerGone();
    let stored: Awaited<ReturnType<EventStore['append']>>;
    try {
      stored = await this.inbox.store.append(id, shard, epoch, event, this.inbox.max);
    } catch (error) {
      if (error instanceof AppError && error.code === 'FENCED') this.host.shardFenced(shard);
      throw error;
    }
    // A reload meanwhile replaced the execution; its queue, read after the append, may have it.
    const current = this.host.execution(id);
    if (current !== undefined) {
      current.events.add(stored.entry);
      if (current.meta.mode === 'event') {
        current.triggered = true;
        current.parent = parent;
        if (current.meta.state === 'running') this.host.scheduler.enqueue(id);
      }
    }
    return { accepted: true, queued: stored.queued, at: stored.entry.event.at };
  }

  async start(id: string, shard: number, req: StartRequest): Promise<ExecutionView> {
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
          watchdog: req.watchdog ?? exec.meta.watchdog,
          tickBudgetMs: req.tickBudgetMs ?? exec.meta.tickBudgetMs,
          state: 'running',
          runStartTick: exec.meta.tick,
        },
        event: { type: 'execution_started', data: { mode: req.mode } },
      };
    });
  }

  /** Stops between ticks (`reason: request`); steps work from there. */
  async pause(id: string, shard: number): Promise<ExecutionView> {
    return this.changeState(id, shard, (exec) => {
      if (exec.meta.state === 'stopped') throw stoppedError(id);
      if (exec.meta.state !== 'running') return undefined;
      const debug = exec.debugSession();
      debug.between = 'request';
      debug.resume = 'running';
      const pausedAt = { tick: exec.meta.tick + 1, reason: 'request' as const };
      return {
        next: { ...exec.meta, state: 'paused' },
        debug: debug.toJson(),
        event: { type: 'execution_paused', data: { pausedAt } },
      };
    });
  }

  /** Runs on from a pause: a paused tick is finished first (as `step continue`). */
  async resume(id: string, shard: number): Promise<ExecutionView> {
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'paused' && exec.debug?.dbg.paused !== undefined) {
      await this.step(id, shard, 'continue');
      return toExecution((this.host.execution(id) ?? exec).meta, this.host.runnerId);
    }
    return this.changeState(id, shard, (e) => {
      if (e.meta.state === 'stopped') throw stoppedError(id);
      if (e.meta.state !== 'paused') return undefined;
      e.nextDue = undefined;
      const debug = e.debug;
      const state = debug?.resume ?? 'running';
      if (debug !== undefined) {
        debug.between = undefined;
        debug.resume = undefined;
      }
      return {
        next: { ...e.meta, state },
        debug: debug?.toJson(),
        event: { type: 'execution_resumed', data: { mode: e.meta.mode } },
      };
    });
  }

  /**
   * One step of a paused execution (DESIGN.md "Debugging"), run in a slot like a tick; answers
   * where it stopped (or `paused: false` when a `continue` ran on).
   */
  async step(id: string, shard: number, mode: StepMode): Promise<DebugView> {
    const exec = await this.host.owned(id, shard);
    if (exec.meta.state === 'stopped') throw stoppedError(id);
    if (exec.meta.state !== 'paused') {
      throw new AppError('EXECUTION_NOT_PAUSED', `execution ${id} is ${exec.meta.state}: pause it (or let a breakpoint stop it) first`);
    }
    const debug = exec.debugSession();
    debug.pendingStep = mode;
    const done = debug.waitForStep();
    this.host.scheduler.enqueue(id);
    return done;
  }

  /** Halts the tree (cancelling running actions, releasing semaphores) and keeps it stopped for good. */
  async stop(id: string, shard: number): Promise<ExecutionView> {
    return this.changeState(id, shard, (exec) => {
      if (exec.meta.state === 'stopped') return undefined;
      // A halt also drops a paused tick; its pause ends with the execution.
      const halted = exec.tree.halt();
      exec.finishManual();
      const debug = exec.debug;
      if (debug !== undefined) {
        debug.between = undefined;
        debug.resume = undefined;
        debug.failSteps(stoppedError(id));
      }
      return {
        next: { ...exec.meta, state: 'stopped', status: exec.tree.status },
        checkpoint: exec.tree.checkpoint(),
        writes: persistentWrites(halted.writes, exec.view.scopes),
        debug: debug?.toJson(),
        event: { type: 'execution_stopped', data: {} },
      };
    });
  }

  /**
   * Before a delete: halt (cancelling remote actions) and commit what the halt released (team
   * semaphores), then forget the execution here.
   */
  async unload(id: string, shard: number): Promise<{ unloaded: true }> {
    await this.host.scheduler.idle([id]);
    const exec = this.host.execution(id);
    if (!exec) return { unloaded: true };
    try {
      await this.changeState(id, shard, (e) => {
        const writes = persistentWrites(e.tree.halt().writes, e.view.scopes);
        return writes.length === 0 ? undefined : { next: e.meta, writes };
      });
    } finally {
      this.host.unloadLocal(exec, new AppError('EXECUTION_NOT_FOUND', `execution ${id} was unloaded`), { halt: false });
    }
    return { unloaded: true };
  }

  /**
   * A command's state change: applied while no tick of this execution is in flight,
   * in memory first and then committed through the fenced script. The commit is sent before any
   * later slot's pipeline, on the same connection, so Redis sees changes in the order we made them.
   */
  async changeState(
    id: string,
    shard: number,
    change: (exec: Execution) => PlannedChange | undefined,
  ): Promise<ExecutionView> {
    await this.host.owned(id, shard);
    await this.host.scheduler.idle([id]);
    let exec = this.host.execution(id);
    if (exec?.needsReload) {
      await this.host.reload(exec);
      exec = this.host.execution(id);
    }
    if (!exec) throw ownerGone();
    const planned = change(exec);
    if (!planned) return toExecution(exec.meta, this.host.runnerId);
    const epoch = this.host.epochOf(shard);
    if (epoch === undefined) throw ownerGone();
    const previous = exec.meta;
    exec.meta = planned.next;
    // The reply is the state this change committed: in auto mode the next tick may run (and move
    // `exec.meta` on) before the commit's promise settles.
    const view = toExecution(planned.next, this.host.runnerId);
    const committing = this.committer.commitState(exec, epoch, planned.next, planned);
    this.host.plan(exec);
    try {
      await committing;
    } catch (error) {
      // Not stored: memory must not run ahead of Redis.
      exec.meta = previous;
      exec.needsReload = true;
      this.host.plan(exec);
      throw error;
    }
    const { event } = planned;
    if (event) {
      const headers = this.publisher.eventHeaders();
      const tick = planned.next.tick;
      this.outbox.addEvents(id, tick, (seq) => {
        this.publisher.event(id, tick, seq, event.type, event.data as never, headers);
        return seq + 1;
      });
    }
    return view;
  }
}

