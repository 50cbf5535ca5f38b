import { FAILURE, RUNNING, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import { numberIn, type NodeState } from '../../tree/state';

/** Mirror of sequence: the first child that does not fail decides. */
export class SelectorNode extends BtNode {
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
      if (s === FAILURE) continue;
      this.current = s === RUNNING ? i : 0;
      return s;
    }
    this.current = 0;
    return FAILURE;
  }

  protected override saveState(): NodeState | undefined {
    return this.current !== 0 ? { current: this.current } : undefined;
  }

  protected override loadState(s: NodeState): void {
    this.current = numberIn(s, 'current', 0);
  }
}
