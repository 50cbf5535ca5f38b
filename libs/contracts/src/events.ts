import { z } from 'zod';

/**
 * External events (DESIGN.md "External events"): `POST /executions/:id/trigger` and NATS
 * `canopy.in.<execId>` queue an event for an execution; each tick takes the oldest queued events,
 * up to EVENT_BATCH_MAX, as its batch (`(events)`, `(event "name")`, `(on-event "name" C)`).
 */

/** Events one tick takes at most; the rest wait for the next ticks, in order. */
export const EVENT_BATCH_MAX = 100;
/** Default bound of an execution's queue (runner env `EVENT_QUEUE_MAX`); a full queue answers EVENT_QUEUE_FULL. */
export const EVENT_QUEUE_MAX_DEFAULT = 1000;
/** Bytes of an event's payload as JSON, at most (PAYLOAD_TOO_LARGE beyond). */
export const EVENT_PAYLOAD_MAX_BYTES = 65_536;

export const EventNameSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((name) => ![...name].some((c) => c.charCodeAt(0) < 0x20), 'must not contain control characters');

/** The body of `POST /executions/:id/trigger`, and the message on `canopy.in.<execId>`. */
export const TriggerRequestSchema = z.object({
  /** The event's name, as `(event "name")` and `(on-event "name" C)` read it. */
  event: EventNameSchema,
  /** Any JSON; `(event "name")` reads it (nil when absent). */
  payload: z.unknown().optional(),
});
export type TriggerRequest = z.infer<typeof TriggerRequestSchema>;

/** The answer once the event is stored (202 over REST; the reply to a `canopy.in.<execId>` request). */
export const TriggerResponseSchema = z.object({
  accepted: z.literal(true),
  /** Events now waiting for the execution's ticks, this one included. */
  queued: z.number().int().min(1),
  /** When it was stored (ms since the epoch, Redis's clock): the `at` the tree reads. */
  at: z.number().int(),
});
export type TriggerResponse = z.infer<typeof TriggerResponseSchema>;

/** The event carried by a `trigger` owner command. */
export const CommandEventSchema = z.object({
  name: EventNameSchema,
  payload: z.unknown().optional(),
});
export type CommandEvent = z.infer<typeof CommandEventSchema>;
