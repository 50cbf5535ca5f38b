import type { Context } from '@opentelemetry/api';
import type { ExecutionState, TickResponse } from '@canopy/contracts';
import type { BehaviorTree, Status } from '@canopy/engine';
import { RunnerError } from '../errors';
import type { ExecMeta } from './execution-meta';
import type { ScopeView } from './scope-cache';

/** A `tick {count}` command waiting for its ticks. */
interface ManualRequest {
  remaining: number;
  resolve(reply: TickResponse): void;
  reject(error: unknown): void;
}

export const DEFAULT_INTERVAL_MS = 1000;

export const isTerminal = (status: Status) => status === 'SUCCESS' || status === 'FAILURE';

/**
 * One execution loaded on its owner: the engine tree, its scope view, and what it is waiting for.
 * `meta` is the last committed state (plus changes committed by command handlers between slots).
 */
export class ExecutionRuntime {
  private readonly manual: ManualRequest[] = [];
  /** An event arrived (trigger, scope change, settled action): an event-mode execution ticks. */
  triggered = false;
  /** The last commit failed for a reason other than fencing: reload from Redis before ticking. */
  needsReload = false;
  closed = false;
  /** Interval executions: when the current tick was due, so the next is due one interval later (no drift). */
  nextDue: number | undefined;
  /** The trace context of the command that asked for the next tick (its span parents the tick). */
  parent: Context | undefined;
  /** Position of the next derived event within the current tick. */
  seq = 0;

  constructor(
    public meta: ExecMeta,
    readonly shard: number,
    readonly tree: BehaviorTree,
    readonly view: ScopeView,
  ) {}

  get id(): string {
    return this.meta.id;
  }

  get intervalMs(): number {
    return this.meta.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  hasManualTicks(): boolean {
    return this.manual.length > 0;
  }

  /** Queues `count` manual ticks; resolves after the last one committed and published. */
  requestTicks(count: number): Promise<TickResponse> {
    return new Promise((resolve, reject) => this.manual.push({ remaining: count, resolve, reject }));
  }

  /** After a committed manual tick: counts it down and answers the request it finished. */
  manualTickDone(): void {
    const head = this.manual[0];
    if (!head) return;
    head.remaining--;
    if (head.remaining <= 0) {
      this.manual.shift();
      head.resolve(this.tickResponse());
    }
  }

  /** Fails every waiting manual request (stop, unload, fencing, a failed commit). */
  failManual(error: unknown): void {
    for (const request of this.manual.splice(0)) request.reject(error);
  }

  /** Answers the head request with the current state (the execution stopped mid-way). */
  finishManual(): void {
    for (const request of this.manual.splice(0)) request.resolve(this.tickResponse());
  }

  tickResponse(): TickResponse {
    return { tick: this.meta.tick, status: this.meta.status, state: this.meta.state };
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
  stateAfterTick(tick: number, status: Status): ExecutionState {
    const { state, mode, maxTicks, runStartTick } = this.meta;
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

export const stoppedError = (id: string) =>
  new RunnerError('EXECUTION_STOPPED', `execution ${id} is stopped`);
