import { FAILURE, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';

function haltAfter(children: readonly BtNode[], i: number): void {
  for (let j = i + 1; j < children.length; j++) children[j].halt();
}

/** Re-checks every child from the first each tick; a child that stops the run halts later ones. */
export class ReactiveSequenceNode extends BtNode {
  protected onTick(): TickStatus {
    const c = this.children;
    for (let i = 0; i < c.length; i++) {
      const s = c[i].tick();
      if (s === SUCCESS) continue;
      haltAfter(c, i);
      return s;
    }
    return SUCCESS;
  }
}

export class ReactiveSelectorNode extends BtNode {
  protected onTick(): TickStatus {
    const c = this.children;
    for (let i = 0; i < c.length; i++) {
      const s = c[i].tick();
      if (s === FAILURE) continue;
      haltAfter(c, i);
      return s;
    }
    return FAILURE;
  }
}
