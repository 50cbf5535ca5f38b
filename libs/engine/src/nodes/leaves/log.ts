import type { Evaluator } from '../../expr/env';
import { FAILURE, SUCCESS, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';

/** Values are evaluated even when logs are not recorded, so a bad value fails the same way. */
export class LogNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly message: string,
    private readonly values: readonly Evaluator[],
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    const out = new Array<unknown>(this.values.length);
    for (let i = 0; i < out.length; i++) {
      const v = this.evaluate(this.values[i]);
      if (v === EVAL_FAILED) return FAILURE;
      out[i] = v;
    }
    this.rt.rec.log(this.id, this.message, out);
    return SUCCESS;
  }
}

export class ProgressNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly stepName: string,
    private readonly percent: Evaluator,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    const p = this.evalNumber(this.percent, 'progress percent', false);
    if (Number.isNaN(p)) return FAILURE;
    this.rt.rec.step(this.id, this.stepName, p);
    return SUCCESS;
  }
}
