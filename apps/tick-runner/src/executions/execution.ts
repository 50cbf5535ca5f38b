import type { Context } from '@opentelemetry/api';
import type { DebugView, ExecutionState, PausedAt, TickResponse } from '@canopy/contracts';
import type { BehaviorTree, Status } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import type { PreparedSwap } from '../reload/tree-swap';
import { EventQueue } from './event-queue';
import { ExecutionDebug } from './execution-debug';
import { watchdogOf, type ExecMeta } from './execution-meta';
import type { ScopeView } from './scope-cache';

/** A `tick {count}` command waiting for its ticks. */
interface ManualRequest {
  count: number;
  /** Ticks of this request committed so far. */
  done: number;
  resolve(reply: TickResponse): void;
  reject(error: unknown): void;
}

export const DEFAULT_INTERVAL_MS = 1000;

export const isTerminal = (status: Status) => status === 'SUCCESS' || status === 'FAILURE';

/**
 * One execution loaded on its owner: the engine tree, its scope view, and what it is waiting for.
 * `meta` is the last committed state (plus changes committed by command handlers between slots).
 */
export class Execution {
  private readonly manual: ManualRequest[] = [];
  /** An event arrived (trigger, scope change, settled action): an event-mode execution ticks. */
  triggered = false;
  /**
   * Memory is ahead of Redis (a commit was refused or failed): the tree must be rebuilt from the
   * last commit before it ticks again.
   */
  needsReload = false;
  /**
   * The exec scope as it was when tick 1 began (taken at its first step, so a tick 1 stepped
   * through by the debugger has it too): the first record carries it for history.
   */
  initialBlackboard?: Record<string, unknown>;
  closed = false;
  /** Interval executions: when the current tick was due, so the next is due one interval later (no drift). */
  nextDue: number | undefined;
  /** The trace context of the command that asked for the next tick (its span parents the tick). */
  parent: Context | undefined;
  /** A let-finish-then-swap prepared on `tree`, applied by the first tick after the run finished. */
  swap: PreparedSwap | undefined;
  /** Under the debugger (breakpoints, watches, a pause); undefined for everyone else. */
  debug: ExecutionDebug | undefined;
  /** External events waiting for ticks (mirror of the Redis queue, loaded with the execution). */
  events = new EventQueue();
  /** The watchdog settings the tree was given (built with the meta's; `start` may change them). */
  private watchdogApplied: Pick<ExecMeta, 'watchdog' | 'tickBudgetMs'>;

  constructor(
    public meta: ExecMeta,
    readonly shard: number,
    /** Replaced by a hot reload (`reload/`), between slots or at the start of a tick. */
    public tree: BehaviorTree,
    readonly view: ScopeView,
  ) {
    this.watchdogApplied = { watchdog: meta.watchdog, tickBudgetMs: meta.tickBudgetMs };
  }

  /** Before a tick: the tree's watchdog follows the stored settings (a `start` may have changed them). */
  applyWatchdog(): void {
    const { watchdog, tickBudgetMs } = this.meta;
    const applied = this.watchdogApplied;
    if (applied.watchdog === watchdog && applied.tickBudgetMs === tickBudgetMs) return;
    this.tree.setWatchdog(watchdogOf(this.meta));
    this.watchdogApplied = { watchdog, tickBudgetMs };
  }

  get id(): string {
    return this.meta.id;
  }

  get intervalMs(): number {
    return this.meta.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  hasManualTicks(): boolean {
    return this.manual.length > 0;
  }

  /** Queues `count` manual ticks; resolves once the last of them is committed and delivered. */
  requestTicks(count: number): Promise<TickResponse> {
    return new Promise((resolve, reject) => this.manual.push({ count, done: 0, resolve, reject }));
  }

  /**
   * After a committed manual tick: counts it and, when that finishes the head request, returns
   * the request's answer, to be sent once the tick is delivered (`delivered`).
   */
  manualTickCommitted(delivered: Promise<void>): void {
    const head = this.manual[0];
    if (!head) return;
    head.done++;
    if (head.done < head.count) return;
    this.manual.shift();
    const reply = this.tickResponse();
    // Committed, but this runner stopped before the stream had it (the next owner delivers it):
    // every tick was done, so a client retrying asks for none.
    delivered.then(
      () => head.resolve(reply),
      () => head.reject(new AppError('OWNER_UNAVAILABLE', 'the runner stopped while delivering; retry', { ticksDone: head.count })),
    );
  }

  /**
   * Fails every waiting manual request. A request some of whose ticks were committed says how
   * many (`details.ticksDone`), so a client that retries asks only for the rest.
   */
  failManual(error: AppError): void {
    this.debug?.failSteps(error);
    for (const request of this.manual.splice(0)) {
      request.reject(
        request.done === 0
          ? error
          : new AppError(error.code, error.message, { ...(error.details as object), ticksDone: request.done }, error.extras),
      );
    }
  }

  /** Waiting manual ticks go on with `next`, the same execution rebuilt from Redis. */
  moveManualTo(next: Execution): void {
    next.manual.push(...this.manual.splice(0));
  }

  /** The debugger, made on first use. */
  debugSession(): ExecutionDebug {
    return (this.debug ??= ExecutionDebug.of(this.tree));
  }

  /** Whether ticks go through the debugger. */
  get debugging(): boolean {
    return this.debug?.engaged === true;
  }

  /** Where it is paused, if it is. */
  pausedAt(): PausedAt | undefined {
    return this.meta.state === 'paused' ? this.debug?.pausedAt(this.meta.tick + 1) : undefined;
  }

  /**
   * The ticks stopped at a breakpoint, a watch or a step: every waiting request is answered now,
   * saying where (the ticks it asked for do not go on by themselves).
   */
  answerPaused(pausedAt: PausedAt): void {
    for (const request of this.manual.splice(0)) request.resolve({ ...this.tickResponse(), pausedAt });
  }

  /** What `GET /executions/:id/debug` shows: the statuses and blackboard at the paused point. */
  debugView(): DebugView {
    const dbg = this.debugSession().dbg;
    const pausedAt = this.pausedAt();
    const view: DebugView = {
      paused: this.meta.state === 'paused',
      ...dbg.view(),
      breakpoints: dbg.breakpoints(),
      watches: dbg.watches(),
    };
    if (pausedAt !== undefined) view.pausedAt = pausedAt;
    return view;
  }

  /** Answers every waiting request: the execution is being stopped mid-way. */
  finishManual(): void {
    // The reply says the request was cut short by the stop and how far it got.
    for (const request of this.manual.splice(0)) {
      request.resolve({ ...this.tickResponse(), state: 'stopped', ticksDone: request.done, interrupted: 'stopped' });
    }
  }

  tickResponse(): TickResponse {
    return { tick: this.meta.tick, status: this.meta.status, state: this.meta.state };
  }

  /**
   * How many queued events the next tick takes: those of a paused tick (it has them until it
   * completes; they are the oldest, since only commits remove events), else the oldest up to
   * the batch bound.
   */
  eventsForTick(): number {
    const paused = this.debug?.dbg.paused !== undefined ? this.debug.dbg.pausedEvents.length : -1;
    return paused >= 0 ? paused : this.events.batchSize();
  }

  /** Whether a scheduled (non-manual) tick is due by mode and state. */
  wantsScheduledTick(): boolean {
    if (this.meta.state !== 'running') return false;
    switch (this.meta.mode) {
      case 'auto':
      case 'interval':
        return true;
      case 'event':
        return this.triggered || this.meta.status === 'RUNNING';
      default:
        return false;
    }
  }

  /**
   * The state after a tick with root `status`. Scheduled runs complete on maxTicks (and `auto` on
   * a terminal status); manual-mode executions read running/completed from the root status;
   * manual ticks of an execution in another mode do not change its state.
   */
  stateAfterTick(tick: number, status: Status, meta: ExecMeta = this.meta): ExecutionState {
    const { state, mode, maxTicks, runStartTick } = meta;
    if (mode === 'manual') {
      if (state === 'paused' || state === 'stopped') return state;
      return isTerminal(status) ? 'completed' : 'running';
    }
    if (state !== 'running') return state;
    if (mode === 'auto' && isTerminal(status)) return 'completed';
    if (maxTicks !== undefined && tick - runStartTick >= maxTicks) return 'completed';
    return 'running';
  }
}

export const stoppedError = (id: string) => new AppError('EXECUTION_STOPPED', `execution ${id} is stopped`);

/** The answer to a command for an execution this runner just let go: nothing was applied, retry. */
export const ownerGone = () => new AppError('OWNER_UNAVAILABLE', 'the execution moved to another runner; retry');
