import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { TimedNode } from '../timed-node';

export class WaitNode extends TimedNode {
  protected onTick(): TickStatus {
    if (Number.isNaN(this.ms)) return FAILURE;
    return this.elapsed() >= this.ms ? SUCCESS : RUNNING;
  }
}
