import type { Evaluator } from '../../expr/env';
import { truthy } from '../../expr/values';
import { FAILURE, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';

/** Re-evaluated every tick, also while the child runs: a false (or failing) condition halts it. */
export class GuardNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly condition: Evaluator,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    const v = this.evaluate(this.condition);
    if (v === EVAL_FAILED || !truthy(v)) {
      this.children[0].halt();
      return FAILURE;
    }
    return this.children[0].tick();
  }
}
