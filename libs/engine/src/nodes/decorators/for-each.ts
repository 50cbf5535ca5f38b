import { bindLocal } from '../../blackboard/access';
import { LocalScope, loadScope, saveScope } from '../../blackboard/local-scope';
import type { Evaluator } from '../../expr/env';
import { typeName } from '../../expr/values';
import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
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
    const v = this.evaluate(this.items);
    if (v === EVAL_FAILED) this.list = null;
    else if (Array.isArray(v)) this.list = v;
    else {
      this.report('EXPR_TYPE', `for-each :in must be a list, got ${typeName(v)}`);
      this.list = null;
    }
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
