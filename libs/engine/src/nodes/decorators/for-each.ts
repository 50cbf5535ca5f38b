import { bindLocal } from '../../blackboard/access';
import { LocalScope, loadScope, saveScope } from '../../blackboard/local-scope';
import type { Evaluator } from '../../expr/env';
import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { ScopeOwner } from '../../tree/node-def';
import type { Runtime } from '../../tree/runtime';
import { numberIn, recordIn, type NodeState } from '../../tree/state';

/** One item per tick at most; the loop variable lives in this node's own scope. */
export class ForEachNode extends BtNode implements ScopeOwner {
  readonly ownScope: LocalScope;
  /** The list as evaluated at start: later blackboard changes do not move the loop. */
  private list: readonly unknown[] | null = null;
  private pos = 0;

  constructor(
    id: string,
    rt: Runtime,
    outer: LocalScope | null,
    private readonly items: Evaluator,
    private readonly varName: string,
  ) {
    super(id, rt);
    this.ownScope = new LocalScope(id, outer);
  }

  protected override onStart(): void {
    this.pos = 0;
    this.list = this.evalList(this.items, 'for-each :in');
  }

  protected onTick(): TickStatus {
    const list = this.list;
    if (list === null) return FAILURE;
    if (this.pos >= list.length) return SUCCESS;
    const child = this.children[0];
    if (child.status !== RUNNING)
      bindLocal(this.rt.rec, this.ownScope, this.varName, list[this.pos]);
    const s = child.tick();
    if (s !== SUCCESS) return s;
    this.pos++;
    return this.pos >= list.length ? SUCCESS : RUNNING;
  }

  protected override saveState(): NodeState | undefined {
    const scope = saveScope(this.ownScope);
    const running = this.status === RUNNING;
    if (!running && scope === undefined) return undefined;
    const out: NodeState = {};
    if (running) {
      out.list = this.list;
      out.pos = this.pos;
    }
    if (scope) out.scope = scope;
    return out;
  }

  protected override loadState(s: NodeState): void {
    this.list = Array.isArray(s.list) ? s.list : null;
    this.pos = numberIn(s, 'pos', 0);
    loadScope(this.ownScope, recordIn(s, 'scope'));
  }
}

/** Slot state in a checkpoint: the item index each copy runs, -1 when it has none. */
const FREE = -1;

/**
 * `(for-each :in EXPR :as "var" :parallel N C)`: up to N items at once, like LangGraph's fan-out
 * with a `max_concurrency`. The child is built N times (copies `F.0` ... `F.N-1`); each copy is a
 * worker that takes the next item when it is free, binds `var` in its own scope and runs to the
 * end. Each copy takes at most one item per tick. The first failing item halts the others and
 * fails the node; it succeeds when every item succeeded (an empty list at once).
 */
export class ParallelForEachNode extends BtNode implements ScopeOwner {
  /** The loop's own scope: the parent of every copy's scope (nothing is bound in it). */
  readonly ownScope: LocalScope;
  private readonly scopes: LocalScope[] = [];
  private list: readonly unknown[] | null = null;
  /** The next item to hand out. */
  private next = 0;
  /** Per copy: the index of the item it runs, or FREE. */
  private readonly slots: number[];
  /**
   * Items to hand out before `next`: those a copy was running when a hot reload (swap-now) took
   * that copy away, so that no item is lost when N shrinks.
   */
  private queue: number[] = [];

  constructor(
    id: string,
    rt: Runtime,
    outer: LocalScope | null,
    private readonly items: Evaluator,
    private readonly varName: string,
    readonly copies: number,
  ) {
    super(id, rt);
    this.ownScope = new LocalScope(id, outer);
    this.slots = new Array<number>(copies).fill(FREE);
  }

  /** The scope of copy `k`, labelled by the id of the copy's root (`local:<that id>`). */
  slotScope(k: number, rootId: string): LocalScope {
    const scope = new LocalScope(rootId, this.ownScope);
    this.scopes[k] = scope;
    return scope;
  }

  /** The scope the nodes of child `i` (copy i) see, for the debugger's conditions and watches. */
  scopeOfChild(i: number): LocalScope {
    return this.scopes[i] ?? this.ownScope;
  }

  protected override onStart(): void {
    this.next = 0;
    this.queue = [];
    this.slots.fill(FREE);
    this.list = this.evalList(this.items, 'for-each :in');
  }

  protected onTick(): TickStatus {
    const list = this.list;
    if (list === null) return FAILURE;
    const c = this.children;
    const slots = this.slots;
    let busy = false;
    for (let k = 0; k < c.length; k++) {
      if (slots[k] === FREE) {
        if (this.queue.length > 0) slots[k] = this.queue.shift() as number;
        else if (this.next < list.length) slots[k] = this.next++;
        else continue;
        bindLocal(this.rt.rec, this.scopes[k], this.varName, list[slots[k]]);
      }
      const s = c[k].tick();
      if (s === FAILURE) {
        slots[k] = FREE;
        this.onHalt();
        return FAILURE;
      }
      if (s === SUCCESS) slots[k] = FREE;
      else busy = true;
    }
    return busy || this.next < list.length || this.queue.length > 0 ? RUNNING : SUCCESS;
  }

  protected override saveState(): NodeState | undefined {
    const out: NodeState = {};
    let any = false;
    if (this.status === RUNNING) {
      out.list = this.list;
      out.pos = this.next;
      out.slots = [...this.slots];
      if (this.queue.length > 0) out.queue = [...this.queue];
      any = true;
    }
    const scopes = this.scopes.map((s) => saveScope(s) ?? null);
    if (scopes.some((s) => s !== null)) {
      out.scopes = scopes;
      any = true;
    }
    return any ? out : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.list = Array.isArray(s.list) ? s.list : null;
    this.next = numberIn(s, 'pos', 0);
    const item = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : FREE);
    const slots = Array.isArray(s.slots) ? s.slots.map(item) : [];
    const queued = Array.isArray(s.queue) ? s.queue.map(item) : [];
    for (let k = 0; k < this.slots.length; k++) this.slots[k] = k < slots.length ? slots[k] : FREE;
    // Copies a reload took away: their items go first to the next free copy.
    this.queue = [...queued, ...slots.slice(this.slots.length)].filter((i) => i !== FREE);
    const scopes = Array.isArray(s.scopes) ? s.scopes : [];
    this.scopes.forEach((scope, k) => {
      const saved = scopes[k];
      loadScope(scope, typeof saved === 'object' && saved !== null && !Array.isArray(saved) ? (saved as Record<string, unknown>) : undefined);
    });
  }
}
