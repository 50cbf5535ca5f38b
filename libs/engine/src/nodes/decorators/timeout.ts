import { FAILURE, type TickStatus } from '../../status';
import { TimedNode } from '../timed-node';

/** Checked before the child runs, so a child is never ticked past its deadline. */
export class TimeoutNode extends TimedNode {
  protected onTick(): TickStatus {
    if (Number.isNaN(this.ms)) return FAILURE;
    if (this.elapsed() >= this.ms) {
      this.children[0].halt();
      return FAILURE;
    }
    return this.children[0].tick();
  }
}
