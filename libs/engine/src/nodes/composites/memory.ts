import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import { numberIn, type NodeState } from '../../tree/state';

/**
 * The position is memory: not reset on start, so after a failure, a halt or a tree restart the
 * node resumes at the child it stopped at. Only finishing the whole run clears it.
 */
export class MemorySequenceNode extends BtNode {
  private current = 0;

  protected onTick(): TickStatus {
    const c = this.children;
    for (let i = this.current; i < c.length; i++) {
      const s = c[i].tick();
      if (s === SUCCESS) continue;
      this.current = i;
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

/** Remembers the child that succeeded (or runs); a full failure clears the memory. */
export class MemorySelectorNode extends BtNode {
  private current = 0;

  protected onTick(): TickStatus {
    const c = this.children;
    for (let i = this.current; i < c.length; i++) {
      const s = c[i].tick();
      if (s === FAILURE) continue;
      this.current = i;
      return s === RUNNING ? RUNNING : SUCCESS;
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
