import type { Evaluator } from '../../expr/env';
import { FAILURE, RUNNING, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import { numberOrNull, type NodeState } from '../../tree/state';

/** The finish time is memory: it survives halts and tree restarts. */
export class CooldownNode extends BtNode {
  private finishedAt: number | null = null;
  private blocked = false;

  constructor(
    id: string,
    rt: Runtime,
    private readonly msExpr: Evaluator,
  ) {
    super(id, rt);
  }

  protected override onStart(): void {
    const ms = this.evalNumber(this.msExpr, ':ms', false);
    const last = this.finishedAt;
    this.blocked = Number.isNaN(ms) || (last !== null && this.rt.now - last < ms);
  }

  protected onTick(): TickStatus {
    if (this.blocked) return FAILURE;
    const s = this.children[0].tick();
    if (s !== RUNNING) this.finishedAt = this.rt.now;
    return s;
  }

  protected override saveState(): NodeState | undefined {
    return this.finishedAt !== null ? { finishedAt: this.finishedAt } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.finishedAt = numberOrNull(s, 'finishedAt');
    this.blocked = false;
  }
}
