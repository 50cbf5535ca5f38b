import type { StatusCode, TickStatus } from '../status';
import type { BtNode } from './node';

/**
 * What a debugger sees of a tick: every node boundary. Either method may throw to unwind the
 * tick (a pause); the tick is then thrown away and run again later.
 */
export interface NodeProbe {
  /** Before `node` is ticked: IDLE to tick it, or the status it returns instead of being ticked. */
  before(node: BtNode): StatusCode;
  after(node: BtNode, status: TickStatus): void;
  /**
   * The watchdog found `node` stuck, with action `pause`, right after its tick (before its
   * `after`): the debugger pauses there.
   */
  stuck(node: BtNode): void;
}
