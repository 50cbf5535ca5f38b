import { deleteRef, writeRef } from '../../blackboard/access';
import type { KeyRef } from '../../blackboard/keys';
import type { LocalScope } from '../../blackboard/local-scope';
import type { Evaluator } from '../../expr/env';
import { FAILURE, SUCCESS, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';

/** Writes go straight to the store, so later nodes of the same tick read them. */
export class SetNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly scope: LocalScope | null,
    private readonly ref: KeyRef,
    private readonly value: Evaluator,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    const v = this.evaluate(this.value);
    if (v === EVAL_FAILED) return FAILURE;
    try {
      writeRef(this.rt.store, this.rt.rec, this.scope, this.ref, v);
    } catch (e) {
      this.fault(e);
      return FAILURE;
    }
    return SUCCESS;
  }
}

export class UnsetNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly scope: LocalScope | null,
    private readonly ref: KeyRef,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    deleteRef(this.rt.store, this.rt.rec, this.scope, this.ref);
    return SUCCESS;
  }
}
