import {
  EventEnvelopeSchema,
  type EventType,
  Subjects,
  type TickRecordMessage,
  TickRecordMessageSchema,
} from '@canopy/contracts';
import { TracedNats } from '@canopy/telemetry';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { z } from 'zod';
import type { RunnerEvent } from '../stream/messages';

export interface CanopyNatsOptions {
  /** e.g. `nats://127.0.0.1:4222` */
  servers: string | string[];
  /** A NATS user allowed to subscribe `canopy.ticks.>` / `canopy.events.>` (docs/security.md). */
  user?: string;
  password?: string;
}

/** A NATS connection wrapped for Canopy's subjects (JSON, trace context in headers). */
export async function connectCanopyNats(opts: CanopyNatsOptions): Promise<TracedNats> {
  const connection = await connect({ servers: opts.servers, user: opts.user, pass: opts.password });
  return new TracedNats(connection);
}

function traced(nats: TracedNats | NatsConnection): TracedNats {
  return nats instanceof TracedNats ? nats : new TracedNats(nats);
}

export interface TickSubscriptionOptions {
  /** One execution's records (`canopy.ticks.<id>`); every execution's when absent. */
  execId?: string;
}

/**
 * Every tick record as the owning runner publishes it on `canopy.ticks.<id>` (core NATS: records
 * published while not subscribed are not replayed; history and the `CANOPY_TICKS` stream keep
 * them). Handled one at a time in arrival order; a record that does not match the contract's
 * schema is logged and skipped.
 */
export function subscribeTicks(
  nats: TracedNats | NatsConnection,
  onRecord: (record: TickRecordMessage) => void | Promise<void>,
  opts: TickSubscriptionOptions = {},
): Subscription {
  const subject = opts.execId ? Subjects.ticks(opts.execId) : Subjects.ticksAll;
  return traced(nats).subscribe(
    subject,
    (record) => onRecord(record as unknown as TickRecordMessage),
    {
      ordered: true,
      schema: TickRecordMessageSchema as z.ZodType<z.infer<typeof TickRecordMessageSchema>>,
    },
  );
}

export interface EventSubscriptionOptions {
  /** One execution's events (`canopy.events.<id>.>`); every execution's when absent. */
  execId?: string;
  /** Only these types; all when absent. */
  types?: readonly EventType[];
}

/**
 * The derived events (docs/streams.md, "Messages") on `canopy.events.<id>.<type>`, in arrival
 * order, typed by `type`. Core NATS, like the gateway's own live stream: nothing is replayed.
 */
export function subscribeEvents(
  nats: TracedNats | NatsConnection,
  onEvent: (event: RunnerEvent) => void | Promise<void>,
  opts: EventSubscriptionOptions = {},
): Subscription {
  const subject = opts.execId ? Subjects.eventsOf(opts.execId) : Subjects.eventsAll;
  const types = opts.types ? new Set<string>(opts.types) : undefined;
  return traced(nats).subscribe(
    subject,
    (event) => {
      if (types && !types.has(event.type)) return;
      return onEvent(event as unknown as RunnerEvent);
    },
    { ordered: true, schema: EventEnvelopeSchema },
  );
}
