import type { Evaluator } from '../expr/env';
import { truthy } from '../expr/values';
import { IDLE, STATUS_NAMES, statusCode, type StatusCode, type TickStatus } from '../status';
import type { BtNode } from '../tree/node';
import type { NodeProbe } from '../tree/probe';
import type { Runtime } from '../tree/runtime';
import type { WatchTracker } from './watch-tracker';
import type {
  BreakpointWhen,
  DebugBreakpoint,
  DebugConditionError,
  DebugHit,
  PauseReason,
} from './types';

/** A breakpoint as the debugger keeps it: its node and its compiled condition. */
export interface Hook {
  bp: DebugBreakpoint;
  node: BtNode;
  test: Evaluator | null;
}

/** Where a run is to stop besides hits: the next boundary, or the `after` of a node. */
export type StepTarget = { next: true } | { next: false; after: BtNode | null };

export interface Stop {
  boundary: number;
  node: BtNode;
  when: BreakpointWhen;
  status?: TickStatus;
  reason: PauseReason;
  breakpointId?: string;
  watchId?: string;
}

/** Thrown through the node ticks to unwind a run at a stop. */
export const PAUSE = new (class Pause {})();

export interface RunHooks {
  /** The breakpoints of a node; `once` ones are removed by the run when they hit. */
  hooks(node: BtNode): readonly Hook[] | undefined;
  removeOnce(hook: Hook): void;
}

/**
 * One run of a debugged tick: sees every node boundary, in order, numbered from 0. Boundaries up
 * to `resumeAt` were passed by earlier runs of the tick: they are replayed silently, with the
 * `replace` decisions taken then (`replaced`), so the run reaches the paused boundary exactly as
 * the tick did. From there on, hooks, watches and the step target apply.
 */
export class TickRun implements NodeProbe {
  readonly hits: DebugHit[] = [];
  readonly conditionErrors: DebugConditionError[] = [];
  stop: Stop | null = null;
  private boundary = -1;
  private readonly stack: BtNode[] = [];
  /** The node the watchdog just found stuck (action `pause`); its `after` comes next. */
  private stuckNode: BtNode | null = null;
  private readonly reported = new Set<string>();

  constructor(
    private readonly rt: Runtime,
    private readonly book: RunHooks,
    private readonly resumeAt: number,
    private readonly target: StepTarget,
    /** Boundary -> status of the `replace` hooks applied; this run adds its own. */
    private readonly replaced: Map<number, StatusCode>,
    private readonly watches: WatchTracker | null,
  ) {}

  /** The node whose code runs now. */
  get current(): BtNode | undefined {
    return this.stack[this.stack.length - 1];
  }

  before(node: BtNode): StatusCode {
    const i = ++this.boundary;
    this.watches?.move(this.current ?? null, node);
    this.stack.push(node);
    if (i < this.resumeAt) return this.replaced.get(i) ?? IDLE;
    if (i > this.resumeAt) this.check(i, node, 'before', undefined);
    return this.replace(i, node);
  }

  /**
   * The watchdog's `pause`: the run stops at the node's `after`, unless that boundary was passed
   * already (the run that goes on from the pause detects it again, and records it, but goes on).
   */
  stuck(node: BtNode): void {
    this.stuckNode = node;
  }

  after(node: BtNode, status: TickStatus): void {
    const i = ++this.boundary;
    this.stack.pop();
    const stuck = this.stuckNode === node;
    if (stuck) this.stuckNode = null;
    const watches = this.watches;
    if (watches === null) {
      if (i > this.resumeAt) this.check(i, node, 'after', status, undefined, stuck);
      return;
    }
    watches.move(node, this.current ?? null);
    const changes = watches.take(node);
    if (i <= this.resumeAt) return;
    for (const c of changes) {
      const hit: DebugHit = {
        kind: 'watch',
        watchId: c.entry.watch.id,
        key: c.entry.watch.key,
        nodeId: node.id,
        tick: this.rt.tick,
      };
      if (c.oldValue !== undefined) hit.oldValue = c.oldValue;
      if (c.value !== undefined) hit.value = c.value;
      this.hits.push(hit);
    }
    this.check(i, node, 'after', status, changes[0]?.entry.watch.id, stuck);
  }

  /** A watch's condition threw (it counts as false): reported if the boundary is new. */
  watchError(nodeId: string, watchId: string, error: unknown): void {
    if (this.boundary > this.resumeAt) this.conditionError(nodeId, error, { watchId });
  }

  /** Reported once per hook and node in a run. */
  private conditionError(
    nodeId: string,
    error: unknown,
    ids: { breakpointId?: string; watchId?: string },
  ): void {
    const key = `${ids.breakpointId ?? ''}\u0000${ids.watchId ?? ''}\u0000${nodeId}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const message = error instanceof Error ? error.message : String(error);
    this.conditionErrors.push({ nodeId, ...ids, message });
  }

  private check(
    i: number,
    node: BtNode,
    when: BreakpointWhen,
    status: TickStatus | undefined,
    watchId?: string,
    stuck = false,
  ): void {
    let breakpointId: string | undefined;
    for (const hook of this.book.hooks(node) ?? []) {
      const bp = hook.bp;
      if (bp.mode !== 'break' || bp.when !== when || !bp.enabled || !this.passes(hook)) continue;
      const hit: DebugHit = { kind: 'breakpoint', breakpointId: bp.id, nodeId: node.id, when };
      if (status !== undefined) hit.status = STATUS_NAMES[status];
      this.hits.push(hit);
      breakpointId ??= bp.id;
      if (bp.once) this.book.removeOnce(hook);
    }
    const t = this.target;
    const stepped = t.next || (when === 'after' && t.after === node);
    if (breakpointId === undefined && watchId === undefined && !stuck && !stepped) return;
    // A hook the user set names itself first; the record of the completed tick shows the stuck node.
    const reason: PauseReason =
      breakpointId !== undefined
        ? 'breakpoint'
        : watchId !== undefined
          ? 'watch'
          : stuck
            ? 'watchdog'
            : 'step';
    this.stop = { boundary: i, node, when, status, reason, breakpointId, watchId };
    throw PAUSE;
  }

  /** The first enabled `replace` hook whose condition holds decides; the others are not hits. */
  private replace(i: number, node: BtNode): StatusCode {
    for (const hook of this.book.hooks(node) ?? []) {
      const bp = hook.bp;
      if (bp.mode !== 'replace' || !bp.enabled || !this.passes(hook)) continue;
      const status = statusCode(bp.status);
      if (status === IDLE) continue;
      this.hits.push({
        kind: 'breakpoint',
        breakpointId: bp.id,
        nodeId: node.id,
        when: 'before',
        status: STATUS_NAMES[status],
      });
      if (bp.once) this.book.removeOnce(hook);
      this.replaced.set(i, status);
      return status;
    }
    return IDLE;
  }

  private passes(hook: Hook): boolean {
    if (hook.test === null) return true;
    try {
      return truthy(hook.test(this.rt));
    } catch (error) {
      this.conditionError(hook.node.id, error, { breakpointId: hook.bp.id });
      return false;
    }
  }
}
