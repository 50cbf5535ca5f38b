import { writeRef } from '../../blackboard/access';
import type { KeyRef } from '../../blackboard/keys';
import type { LocalScope } from '../../blackboard/local-scope';
import { ActionRegistry, type ActionCell } from '../../actions/action-registry';
import type { Evaluator } from '../../expr/env';
import type { ActionErrorCode, ActionFn, ActionResolver } from '../../model/runtime';
import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import { numberIn, recordIn, stringIn, type NodeState } from '../../tree/state';
import {
  CALL,
  failureOf,
  Invocation,
  type InvocationState,
  isPromiseLike,
  PENDING,
  REJECTED,
  RESOLVED,
} from './invocation';

/** An invocation and the fields a tick may change, as they were when the tick began. */
class LiveInvocation {
  private readonly state: InvocationState;
  private readonly outcome: unknown;
  private readonly failure: string;
  private readonly failureCode: ActionErrorCode;
  private readonly tick: number;

  constructor(private readonly inv: Invocation) {
    this.state = inv.state;
    this.outcome = inv.outcome;
    this.failure = inv.failure;
    this.failureCode = inv.failureCode;
    this.tick = inv.tick;
  }

  reinstate(): Invocation {
    const inv = this.inv;
    inv.state = this.state;
    inv.outcome = this.outcome;
    inv.failure = this.failure;
    inv.failureCode = this.failureCode;
    inv.tick = this.tick;
    return inv;
  }
}

const NO_ARGS: Readonly<Record<string, unknown>> = Object.freeze({});
const STATE_NAMES = ['call', 'pending', 'resolved', 'rejected'] as const;
const STATUSES: ReadonlySet<unknown> = new Set(['SUCCESS', 'FAILURE', 'RUNNING']);

/**
 * Calls a registered action. A Promise makes the node RUNNING and its outcome is applied on the
 * first tick after it settles, never mid-tick, so a tick's records depend only on what had
 * settled before the tick began. An outcome `{status, output}` writes `output` to `:into` in
 * that tick.
 */
export class ActionNode extends BtNode {
  private inv: Invocation | null = null;
  /** The resolver `cell` belongs to (the debugger swaps `rt.actions` for a memoizing one). */
  private resolver: ActionResolver | undefined = undefined;
  /** The name's cell in `resolver` when it is a plain ActionRegistry, else null. */
  private cell: ActionCell | null = null;

  constructor(
    id: string,
    rt: Runtime,
    private readonly name: string,
    private readonly argNames: readonly string[],
    private readonly argValues: readonly Evaluator[],
    /** `:into`: where an outcome's `output` goes. */
    private readonly into: KeyRef | null = null,
    private readonly scope: LocalScope | null = null,
  ) {
    super(id, rt);
  }

  /**
   * `BtNode.tick` with this class's start and tick called directly (the base class's calls are
   * shared by every node type): actions are a tree's commonest leaves after conditions.
   */
  override tick(): TickStatus {
    if (this.rt.observed) return super.tick();
    if (this.status !== RUNNING) this.onStart();
    const s = this.onTick();
    if (s !== this.status) this.setStatus(s);
    return s;
  }

  protected override onStart(): void {
    this.inv = null;
    let args = NO_ARGS;
    if (this.argNames.length > 0) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < this.argNames.length; i++) {
        const v = this.evaluate(this.argValues[i]);
        if (v === EVAL_FAILED) return;
        out[this.argNames[i]] = v;
      }
      args = out;
    }
    this.inv = new Invocation(this.rt.execId, this.id, this.rt.tick, args);
  }

  protected onTick(): TickStatus {
    const inv = this.inv;
    if (inv === null) return FAILURE;
    switch (inv.state) {
      case PENDING:
        return RUNNING;
      case RESOLVED:
        return this.apply(inv, inv.outcome, true);
      case REJECTED:
        return this.fail(inv.failureCode, inv.failure);
      default:
        return this.call(inv);
    }
  }

  private call(inv: Invocation): TickStatus {
    const fn = this.resolve();
    if (fn === undefined) return this.fail('UNKNOWN_ACTION', `unknown action '${this.name}'`);
    inv.state = CALL;
    inv.tick = this.rt.tick;
    let out: unknown;
    try {
      out = fn(inv.args, inv);
    } catch (e) {
      const failure = failureOf(e, this.name, 'threw');
      return this.fail(failure.code, failure.message);
    }
    if (!isPromiseLike(out)) return this.apply(inv, out, false);
    inv.state = PENDING;
    out.then(
      (v) => this.settle(inv, RESOLVED, v),
      (e: unknown) => this.settle(inv, REJECTED, failureOf(e, this.name, 'failed')),
    );
    return RUNNING;
  }

  /** `rt.actions.resolve(name)`, without the registry's lookup on every call. */
  private resolve(): ActionFn | undefined {
    const actions = this.rt.actions;
    if (actions !== this.resolver) {
      this.resolver = actions;
      // Only a registry whose `resolve` is the one `cell` mirrors: a subclass may answer otherwise.
      this.cell =
        actions instanceof ActionRegistry && actions.resolve === ActionRegistry.prototype.resolve
          ? actions.cell(this.name)
          : null;
    }
    const cell = this.cell;
    if (cell === null) return actions?.resolve(this.name);
    const fn = cell.fn;
    return fn !== undefined ? fn : (actions as ActionRegistry).resolveElsewhere(this.name);
  }

  private settle(
    inv: Invocation,
    state: typeof RESOLVED | typeof REJECTED,
    v: unknown,
  ): void {
    const held = this.rt.held;
    if (held !== null) {
      held.push(() => this.settle(inv, state, v));
      return;
    }
    // A halted or superseded invocation settles into the void.
    if (this.inv !== inv || inv.state !== PENDING) return;
    inv.state = state;
    if (state === RESOLVED) inv.outcome = v;
    else {
      const { code, message } = v as { code: ActionErrorCode; message: string };
      inv.failure = message;
      inv.failureCode = code;
    }
    this.rt.onWake?.();
  }

  private apply(inv: Invocation, result: unknown, settled: boolean): TickStatus {
    let out = result;
    if (typeof out === 'object' && out !== null && STATUSES.has((out as { status?: unknown }).status)) {
      const { status, output } = out as { status: unknown; output?: unknown };
      if (output !== undefined && this.into !== null) writeRef(this.rt.store, this.rt.rec, this.scope, this.into, output);
      out = status;
    }
    if (out === undefined || out === true || out === 'SUCCESS') return this.finish(SUCCESS);
    if (out === false || out === 'FAILURE') return this.finish(FAILURE);
    if (out === 'RUNNING') {
      // A settled promise asking to continue is called again now: this tick has not called it.
      if (settled) return this.call(inv);
      inv.state = CALL;
      return RUNNING;
    }
    return this.fail(
      'ACTION_FAILED',
      `action '${this.name}' returned an invalid outcome: ${describe(result)}`,
    );
  }

  private fail(code: ActionErrorCode | 'UNKNOWN_ACTION', message: string): TickStatus {
    this.report(code, message);
    return this.finish(FAILURE);
  }

  private finish(s: TickStatus): TickStatus {
    this.inv = null;
    return s;
  }

  protected override onHalt(): void {
    if (this.inv !== null) this.rt.abort(this.inv);
    this.inv = null;
  }

  override discard(): void {
    this.onHalt();
  }

  override captureLive(): unknown {
    const inv = this.inv;
    return inv === null ? undefined : new LiveInvocation(inv);
  }

  override reinstateLive(live: unknown): void {
    this.inv = (live as LiveInvocation).reinstate();
  }

  /**
   * A pending promise cannot be serialized: it is saved as `pending` and the action is called
   * again, with the same invocationId, on the first tick after a restore.
   */
  protected override saveState(): NodeState | undefined {
    const inv = this.inv;
    if (inv === null || this.status !== RUNNING) return undefined;
    const out: NodeState = {
      startTick: inv.startTick,
      args: inv.args,
      call: STATE_NAMES[inv.state],
    };
    if (inv.state === RESOLVED) out.outcome = inv.outcome;
    if (inv.state === REJECTED) {
      out.failure = inv.failure;
      out.failureCode = inv.failureCode;
    }
    return out;
  }

  protected override loadState(s: NodeState): void {
    this.inv = null;
    const args = recordIn(s, 'args');
    if (args === undefined) return;
    const inv = new Invocation(this.rt.execId, this.id, numberIn(s, 'startTick', 0), args);
    const state = STATE_NAMES.indexOf(s.call as (typeof STATE_NAMES)[number]);
    if (state === RESOLVED) {
      inv.state = RESOLVED;
      inv.outcome = s.outcome;
    } else if (state === REJECTED) {
      inv.state = REJECTED;
      inv.failure = stringIn(s, 'failure', '');
      inv.failureCode = stringIn(s, 'failureCode', 'ACTION_FAILED') as ActionErrorCode;
    }
    this.inv = inv;
  }
}

function describe(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v);
  try {
    return JSON.stringify(v).slice(0, 200);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
