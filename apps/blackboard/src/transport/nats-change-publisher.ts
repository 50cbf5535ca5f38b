import { type BlackboardChanged, Subjects } from '@canopy/contracts';
import { TracedNats } from '@canopy/telemetry';
import { Injectable } from '@nestjs/common';
import { ChangePublisher } from '../use-cases/change-publisher';

/** Core NATS, not JetStream: the change feed is for live caches, and versions make it self-healing. */
@Injectable()
export class NatsChangePublisher extends ChangePublisher {
  constructor(private readonly nats: TracedNats) {
    super();
  }

  async publish(change: BlackboardChanged): Promise<void> {
    this.nats.publish(Subjects.bbChanged(change.scope), change, { pattern: Subjects.bbChangedAll });
  }
}
