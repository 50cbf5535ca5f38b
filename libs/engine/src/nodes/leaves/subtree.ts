import { bindLocal } from '../../blackboard/access';
import { LocalScope, loadScope, saveScope } from '../../blackboard/local-scope';
import type { Evaluator } from '../../expr/env';
import { FAILURE, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { ScopeOwner } from '../../tree/node-def';
import type { Runtime } from '../../tree/runtime';
import { recordIn, type NodeState } from '../../tree/state';

/**
 * The referenced tree is instantiated under this node at build time; at run time the node only
 * binds its arguments (evaluated in the caller's scope) into its own scope on each start.
 * The scope persists between runs, like a BehaviorTree.CPP subtree blackboard.
 */
export class SubtreeNode extends BtNode implements ScopeOwner {
  readonly ownScope: LocalScope;
  private bound = true;

  constructor(
    id: string,
    rt: Runtime,
    outer: LocalScope | null,
    private readonly argNames: readonly string[],
    private readonly argValues: readonly Evaluator[],
  ) {
    super(id, rt);
    this.ownScope = new LocalScope(id, outer);
  }

  protected override onStart(): void {
    this.bound = true;
    for (let i = 0; i < this.argNames.length; i++) {
      const v = this.evaluate(this.argValues[i]);
      if (v === EVAL_FAILED) {
        this.bound = false;
        return;
      }
      bindLocal(this.rt.rec, this.ownScope, this.argNames[i], v);
    }
  }

  protected onTick(): TickStatus {
    return this.bound ? this.children[0].tick() : FAILURE;
  }

  protected override saveState(): NodeState | undefined {
    const scope = saveScope(this.ownScope);
    return scope ? { scope } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.bound = true;
    loadScope(this.ownScope, recordIn(s, 'scope'));
  }
}
