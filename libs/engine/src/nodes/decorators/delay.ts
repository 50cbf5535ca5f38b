import { FAILURE, RUNNING, type TickStatus } from '../../status';
import { TimedNode } from '../timed-node';

export class DelayNode extends TimedNode {
  protected onTick(): TickStatus {
    if (Number.isNaN(this.ms)) return FAILURE;
    return this.elapsed() < this.ms ? RUNNING : this.children[0].tick();
  }
}
