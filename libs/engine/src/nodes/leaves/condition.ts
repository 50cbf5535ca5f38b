import type { Evaluator } from '../../expr/env';
import { truthy } from '../../expr/values';
import { FAILURE, SUCCESS, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';

export class ConditionNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly test: Evaluator,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    const v = this.evaluate(this.test);
    return v !== EVAL_FAILED && truthy(v) ? SUCCESS : FAILURE;
  }
}
