import { RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import { numberIn, type NodeState } from '../../tree/state';

/** Resumes at the RUNNING child; a failure or a finished run starts over. */
export class SequenceNode extends BtNode {
  private current = 0;

  // `current` is back to 0 whenever the node is not RUNNING (finish and halt reset it), so a
  // restart needs no onStart: most nodes of a tree are composites and leaves without one.
  protected override onHalt(): void {
    super.onHalt();
    this.current = 0;
  }

  /**
   * `BtNode.tick` without the start check, and with `onTick` called on a known class: composites
   * are on every path of a tick.
   */
  override tick(): TickStatus {
    if (this.rt.observed) return super.tick();
    const s = this.onTick();
    if (s !== this.status) this.setStatus(s);
    return s;
  }

  protected onTick(): TickStatus {
    const c = this.children;
    for (let i = this.current; i < c.length; i++) {
      const s = c[i].tick();
      if (s === SUCCESS) continue;
      this.current = s === RUNNING ? i : 0;
      return s;
    }
    this.current = 0;
    return SUCCESS;
  }

  protected override saveState(): NodeState | undefined {
    return this.current !== 0 ? { current: this.current } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.current = numberIn(s, 'current', 0);
  }
}
