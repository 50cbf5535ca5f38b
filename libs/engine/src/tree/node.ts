import type { Evaluator } from '../expr/env';
import { ExprError } from '../expr/expr-error';
import { typeName } from '../expr/values';
import type { RuntimeErrorCode } from '../model/runtime';
import {
  FAILURE,
  IDLE,
  RUNNING,
  STATUS_NAMES,
  statusCode,
  type StatusCode,
  type TickStatus,
} from '../status';
import type { Runtime } from './runtime';
import type { NodeState } from './state';
import type { NodeWatch } from './watchdog';

/** Returned by `evaluate` when the expression failed; the error is already recorded. */
export const EVAL_FAILED: unique symbol = Symbol('EVAL_FAILED');

const NO_CHILDREN: readonly BtNode[] = [];
const NO_STATE: NodeState = {};

/**
 * A node instance. Subclasses implement `onTick` (and `onStart` for per-run state); the base
 * class owns the lifecycle: lazy restart, status bookkeeping, halting, hooks and checkpoints.
 */
export abstract class BtNode {
  status: StatusCode = IDLE;
  /** Depth-first position in the built tree; indexes every per-node array. */
  index = -1;
  children: readonly BtNode[] = NO_CHILDREN;
  /** The watchdog's episode, for a node with a budget (`:stuck-after` or the default); else null. */
  wd: NodeWatch | null = null;
  /** Whether the subclass has start logic: most do not, and skipping the call is measurable. */
  private readonly starts: boolean;

  constructor(
    readonly id: string,
    protected readonly rt: Runtime,
  ) {
    this.starts = this.onStart !== BtNode.prototype.onStart;
  }

  attach(children: readonly BtNode[]): void {
    this.children = children;
  }

  /**
   * A node that is not RUNNING starts afresh (lazy restart): finished statuses stay visible
   * until the node is ticked again, and nothing walks the tree to reset it.
   */
  tick(): TickStatus {
    if (this.rt.observed) return this.tickObserved();
    if (this.status !== RUNNING && this.starts) this.onStart();
    const s = this.onTick();
    if (s !== this.status) this.setStatus(s);
    return s;
  }

  /** Abandons a RUNNING node: its running descendants first, then itself, to IDLE. */
  halt(): void {
    if (this.status !== RUNNING) return;
    this.onHalt();
    this.setStatus(IDLE);
  }

  /** Forced back to IDLE by the tree (`BehaviorTree.halt`), recorded like any change. */
  reset(): void {
    if (this.status !== IDLE) this.setStatus(IDLE);
  }

  /** Drops in-flight async work without recording anything (before a restore). */
  discard(): void {
    // Only nodes with async work (actions, LLM calls) have anything to drop.
  }

  /**
   * In-process state a checkpoint cannot hold (a pending promise), as it is now: the debugger
   * takes it when a tick begins and puts it back with `reinstateLive` after loading the tick's
   * start checkpoint, so a re-run of the tick finds the same calls in flight.
   */
  captureLive(): unknown {
    return undefined;
  }

  reinstateLive(_live: unknown): void {
    // Only nodes with async work (actions, LLM calls) capture anything.
  }

  save(): NodeState | undefined {
    const extra = this.saveState();
    if (this.status === IDLE) return extra;
    const out = extra ?? {};
    out.status = STATUS_NAMES[this.status];
    if (this.wd !== null && this.status === RUNNING && this.wd.sinceMs >= 0)
      out.wd = this.wd.save();
    return out;
  }

  /** Replaces all state; an absent entry means the initial state. */
  load(state: NodeState | undefined): void {
    const s = state ?? NO_STATE;
    this.status = statusCode(s.status);
    this.loadState(s);
    if (this.wd !== null) this.wd.load(this.status === RUNNING ? s.wd : undefined);
  }

  protected onStart(): void {
    // Per-run state is reset here by the nodes that have any.
  }

  protected abstract onTick(): TickStatus;

  protected onHalt(): void {
    const c = this.children;
    for (let i = 0; i < c.length; i++) c[i].halt();
  }

  /** State beyond the status, or undefined when it is the initial one. */
  protected saveState(): NodeState | undefined {
    return undefined;
  }

  /** Must set every state field, defaulting what `s` lacks. */
  protected loadState(_s: NodeState): void {
    // Stateless nodes have nothing to load.
  }

  protected setStatus(s: StatusCode): void {
    if (this.rt.rec.nodes) this.rt.rec.change(this.index, this.status, s);
    this.status = s;
  }

  /** Runs an expression; on a runtime error records it against this node. */
  protected evaluate(ev: Evaluator): unknown {
    try {
      return ev(this.rt);
    } catch (e) {
      this.fault(e);
      return EVAL_FAILED;
    }
  }

  /** A numeric argument; NaN (error recorded) when it is not a number or not a whole one. */
  protected evalNumber(ev: Evaluator, what: string, integer: boolean): number {
    const v = this.evaluate(ev);
    if (v === EVAL_FAILED) return NaN;
    if (typeof v !== 'number' || Number.isNaN(v) || (integer && !Number.isInteger(v))) {
      const want = integer ? 'an integer' : 'a number';
      this.report('BAD_ARGUMENT', `${what} must be ${want}, got ${JSON.stringify(v) ?? String(v)}`);
      return NaN;
    }
    return v;
  }

  /** A list argument; null (error recorded) when the expression fails or gives anything else. */
  protected evalList(ev: Evaluator, what: string): unknown[] | null {
    const v = this.evaluate(ev);
    if (v === EVAL_FAILED) return null;
    if (Array.isArray(v)) return v;
    this.report('EXPR_TYPE', `${what} must be a list, got ${typeName(v)}`);
    return null;
  }

  protected fault(e: unknown, code: RuntimeErrorCode = 'EXPR_TYPE'): void {
    if (e instanceof ExprError) this.report(e.code, e.message);
    else this.report(code, e instanceof Error ? e.message : String(e));
  }

  protected report(code: RuntimeErrorCode, message: string): void {
    this.rt.rec.error(this.id, code, message);
  }

  private tickObserved(): TickStatus {
    const rt = this.rt;
    const probe = rt.probe;
    const instead = probe === null ? IDLE : probe.before(this);
    const hooks = rt.hooks;
    if (hooks?.enter) hooks.enter(this.id, this.index);
    const slot = rt.rec.visits ? rt.rec.beginVisit(this.index) : -1;
    const t0 = rt.rec.timing ? performance.now() : 0;
    let s: TickStatus;
    if (instead === IDLE) {
      if (this.status !== RUNNING) this.onStart();
      s = this.onTick();
    } else {
      s = this.substitute(instead);
    }
    const wd = this.wd;
    if (
      wd !== null &&
      rt.watchdog !== null &&
      rt.watchdog.check(this, wd, this.status, s === RUNNING)
    ) {
      // The watchdog's `fail`: halted as a parent abandoning it would be, and it fails now.
      this.onHalt();
      s = FAILURE;
    }
    if (s !== this.status) this.setStatus(s);
    if (slot >= 0) rt.rec.endVisit(slot, s, rt.rec.timing ? (performance.now() - t0) * 1000 : 0);
    if (hooks?.exit) hooks.exit(this.id, this.index, STATUS_NAMES[s]);
    if (probe !== null) probe.after(this, s);
    return s;
  }

  /**
   * A debugger's `replace`: the node returns `s` without being ticked. A running node that is
   * made to finish is halted first (its async work aborted, what it holds released), as a parent
   * abandoning it would; an idle one made RUNNING is started, so that its next real tick goes on
   * from a fresh run rather than from the state of its last one.
   */
  private substitute(s: TickStatus): TickStatus {
    if (this.status === RUNNING) {
      if (s !== RUNNING) this.onHalt();
    } else if (s === RUNNING) {
      this.onStart();
    }
    return s;
  }
}
