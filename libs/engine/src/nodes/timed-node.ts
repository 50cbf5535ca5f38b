import type { Evaluator } from '../expr/env';
import { RUNNING } from '../status';
import { BtNode } from '../tree/node';
import type { Runtime } from '../tree/runtime';
import { numberIn, type NodeState } from '../tree/state';

/** A node with a `:ms` argument read at start; times come from the tick clock, never the wall. */
export abstract class TimedNode extends BtNode {
  protected ms = 0;
  protected startedAt = 0;

  constructor(
    id: string,
    rt: Runtime,
    private readonly msExpr: Evaluator,
  ) {
    super(id, rt);
  }

  protected override onStart(): void {
    this.startedAt = this.rt.now;
    this.ms = this.evalNumber(this.msExpr, ':ms', false);
  }

  protected elapsed(): number {
    return this.rt.now - this.startedAt;
  }

  protected override saveState(): NodeState | undefined {
    return this.status === RUNNING ? { ms: this.ms, startedAt: this.startedAt } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.ms = numberIn(s, 'ms', 0);
    this.startedAt = numberIn(s, 'startedAt', 0);
  }
}
