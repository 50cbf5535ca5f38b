import { FAILURE, IDLE, RUNNING, SUCCESS, statusCode, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { NodeState } from '../../tree/state';

/** Its outcome is memory: once the child finished, that status is returned forever. */
export class RunOnceNode extends BtNode {
  private outcome: typeof IDLE | typeof SUCCESS | typeof FAILURE = IDLE;

  protected onTick(): TickStatus {
    if (this.outcome !== IDLE) return this.outcome;
    const s = this.children[0].tick();
    if (s !== RUNNING) this.outcome = s;
    return s;
  }

  protected override saveState(): NodeState | undefined {
    return this.outcome !== IDLE
      ? { outcome: this.outcome === SUCCESS ? 'SUCCESS' : 'FAILURE' }
      : undefined;
  }

  protected override loadState(s: NodeState): void {
    const o = statusCode(s.outcome);
    this.outcome = o === SUCCESS || o === FAILURE ? o : IDLE;
  }
}
