import { FAILURE, RUNNING, type TickStatus } from '../../status';
import { BtNode } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';

/**
 * `(on-event "name" C)`: the child starts only in a tick whose batch of external events holds
 * `name`, and is ticked on while it runs (whatever the later batches hold); otherwise FAILURE,
 * without ticking it. Its only state is its status (RUNNING while the child runs), so a
 * checkpoint restores it as it was.
 */
export class OnEventNode extends BtNode {
  constructor(
    id: string,
    rt: Runtime,
    private readonly event: string,
  ) {
    super(id, rt);
  }

  protected onTick(): TickStatus {
    if (this.status !== RUNNING && !this.received()) return FAILURE;
    return this.children[0].tick();
  }

  private received(): boolean {
    const batch = this.rt.events;
    for (let i = 0; i < batch.length; i++) if (batch[i].name === this.event) return true;
    return false;
  }
}
