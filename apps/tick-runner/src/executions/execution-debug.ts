import type { DebugView as DebugViewBody, ExecutionState, PausedAt, StepMode } from '@canopy/contracts';
import type { BehaviorTree, DebugBreakpoint, DebugState, Debugger } from '@canopy/engine';

/** What the runner stores of an execution's debugging (RedisKeys.execDebug), besides the engine's state. */
interface StoredDebug {
  v: 1;
  engine: DebugState;
  /** The state a paused execution goes back to when it runs on (`running`, `created`...). */
  resume?: ExecutionState;
  /** Paused between ticks (a plain pause, or a step that finished a tick): why. */
  between?: PausedAt['reason'];
  /** The stuck node of a watchdog pause whose paused tick a hot reload dropped. */
  betweenNodeId?: string;
}

/**
 * An execution under the debugger: the engine's Debugger (breakpoints, watches, a paused tick),
 * where a paused execution stands when it is between ticks, and the step a client asked for.
 * Executions nobody debugs have none, so their ticks take the engine's plain path.
 */
export class ExecutionDebug {
  /** Set by a `step` (or `resume` of a paused tick): what the next slot runs. */
  pendingStep: StepMode | undefined;
  /** Paused between ticks, and why. */
  between: PausedAt['reason'] | undefined;
  /** For a `watchdog` pause whose paused tick a hot reload dropped: the node found stuck. */
  betweenNodeId: string | undefined;
  /** The state to go back to when the pause ends. */
  resume: ExecutionState | undefined;
  private readonly stepWaiters: { resolve(view: DebugViewBody): void; reject(error: unknown): void }[] = [];

  constructor(readonly dbg: Debugger) {}

  static of(tree: BehaviorTree): ExecutionDebug {
    return new ExecutionDebug(tree.debug());
  }

  /** Rebuilds what `toJson` stored, into a tree restored to the last committed checkpoint. */
  static fromJson(tree: BehaviorTree, json: string): ExecutionDebug {
    const stored = JSON.parse(json) as StoredDebug;
    const debug = ExecutionDebug.of(tree);
    debug.dbg.restoreState(stored.engine);
    debug.resume = stored.resume;
    debug.between = stored.between;
    debug.betweenNodeId = stored.betweenNodeId;
    return debug;
  }

  /**
   * Hot reload: the same hooks on the new `tree` (breakpoints whose node id it lacks are dropped
   * and returned), the same waiting step. A tick that was paused (`wasPaused`; the swap dropped
   * it) leaves the execution paused between ticks, for the same reason.
   */
  moveTo(tree: BehaviorTree, wasPaused: PausedAt | undefined): { debug: ExecutionDebug; dropped: DebugBreakpoint[] } {
    const debug = ExecutionDebug.of(tree);
    const ids = new Set(tree.nodes.map((n) => n.id));
    const dropped: DebugBreakpoint[] = [];
    for (const bp of this.dbg.breakpoints()) {
      try {
        if (!ids.has(bp.nodeId)) throw new Error('node gone');
        debug.dbg.setBreakpoint(bp);
      } catch {
        dropped.push(bp);
      }
    }
    // Watches name keys, not nodes: they all still apply.
    for (const w of this.dbg.watches()) debug.dbg.setWatch(w);
    debug.resume = this.resume;
    debug.between = this.between ?? wasPaused?.reason;
    debug.betweenNodeId = this.between !== undefined ? this.betweenNodeId : wasPaused?.nodeId;
    debug.pendingStep = this.pendingStep;
    debug.stepWaiters.push(...this.stepWaiters.splice(0));
    return { debug, dropped };
  }

  /** Whether ticks must go through the debugger: something is set, or a tick is paused. */
  get engaged(): boolean {
    return this.dbg.active || this.dbg.paused !== undefined;
  }

  /** Whether there is anything worth storing; if not, the stored state is removed. */
  get worthKeeping(): boolean {
    return this.engaged || this.between !== undefined;
  }

  toJson(): string | null {
    if (!this.worthKeeping) return null;
    const stored: StoredDebug = { v: 1, engine: this.dbg.saveState() };
    if (this.resume !== undefined) stored.resume = this.resume;
    if (this.between !== undefined) stored.between = this.between;
    if (this.between === 'watchdog' && this.betweenNodeId !== undefined) stored.betweenNodeId = this.betweenNodeId;
    return JSON.stringify(stored);
  }

  /** Where the execution is paused, if it is; `nextTick` is the tick a between-ticks pause is before. */
  pausedAt(nextTick: number): PausedAt | undefined {
    const at = this.dbg.paused;
    if (at !== undefined) return { ...at };
    if (this.between === undefined) return undefined;
    const between: PausedAt = { tick: nextTick, reason: this.between };
    if (this.between === 'watchdog' && this.betweenNodeId !== undefined) between.nodeId = this.betweenNodeId;
    return between;
  }

  /** A step's reply waits for the slot that runs it. */
  waitForStep(): Promise<DebugViewBody> {
    return new Promise((resolve, reject) => this.stepWaiters.push({ resolve, reject }));
  }

  answerSteps(view: DebugViewBody): void {
    for (const w of this.stepWaiters.splice(0)) w.resolve(view);
  }

  failSteps(error: unknown): void {
    for (const w of this.stepWaiters.splice(0)) w.reject(error);
  }
}
