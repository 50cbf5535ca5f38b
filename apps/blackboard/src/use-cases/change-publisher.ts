import type { BlackboardChanged } from '@canopy/contracts';

/** Where change events go; the NATS adapter publishes on `Subjects.bbChanged(scope)`. */
export abstract class ChangePublisher {
  abstract publish(change: BlackboardChanged): Promise<void>;
}

/** Writes through this service come from outside any tick: the gateway's REST routes. */
export const REST_SOURCE = 'rest';
