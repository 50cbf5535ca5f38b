import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';

export class InvertNode extends BtNode {
  protected onTick(): TickStatus {
    const s = this.children[0].tick();
    return s === SUCCESS ? FAILURE : s === FAILURE ? SUCCESS : RUNNING;
  }
}

export class ForceSuccessNode extends BtNode {
  protected onTick(): TickStatus {
    return this.children[0].tick() === RUNNING ? RUNNING : SUCCESS;
  }
}

export class ForceFailureNode extends BtNode {
  protected onTick(): TickStatus {
    return this.children[0].tick() === RUNNING ? RUNNING : FAILURE;
  }
}

/** Loops by returning RUNNING, so the child restarts on the next tick, never twice in one. */
export class UntilSuccessNode extends BtNode {
  protected onTick(): TickStatus {
    return this.children[0].tick() === SUCCESS ? SUCCESS : RUNNING;
  }
}

export class UntilFailureNode extends BtNode {
  protected onTick(): TickStatus {
    return this.children[0].tick() === FAILURE ? SUCCESS : RUNNING;
  }
}
