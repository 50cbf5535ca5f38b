import type { TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';

/** `(success)`, `(failure)`, `(running)`. */
export class ConstantNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly result: TickStatus,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    return this.result;
  }
}
