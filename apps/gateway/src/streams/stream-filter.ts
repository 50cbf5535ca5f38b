import {
  ALL_EXECUTIONS_EVENT_TYPES,
  EVENT_TYPES,
  type EventEnvelope,
  type EventPayloads,
  StatusSchema,
} from '@canopy/contracts';
import { z } from 'zod';

const EventTypeSchema = z.enum(EVENT_TYPES);
const NodeIdSchema = z.string().min(1).max(512);

const EventsSchema = z.array(EventTypeSchema).min(1).max(EVENT_TYPES.length);
const NodeIdsSchema = z.array(NodeIdSchema).min(1).max(1000);
const StatusesSchema = z.array(StatusSchema).min(1).max(4);

/**
 * What a client wants: event types (all when absent); node ids (apply to `node_update`); statuses
 * (apply to `node_update.to` and `tick_complete.status`). Other events pass the node filters.
 */
export const StreamFilterSchema = z.object({
  events: EventsSchema.optional(),
  nodeIds: NodeIdsSchema.optional(),
  statuses: StatusesSchema.optional(),
});
export type StreamFilter = z.infer<typeof StreamFilterSchema>;

/** `a,b,c` in a query string as a list; empty items are ignored. */
const csv = <T extends z.ZodType<unknown, string[]>>(list: T) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    )
    .pipe(list)
    .optional();

/** The same filter as query parameters: `?events=node_update,tick_complete&nodeIds=a,b&statuses=RUNNING`. */
export const StreamQuerySchema = z.object({
  events: csv(EventsSchema),
  nodeIds: csv(NodeIdsSchema),
  statuses: csv(StatusesSchema),
});

export const AllEventsSchema = z.array(z.enum(ALL_EXECUTIONS_EVENT_TYPES)).min(1);

/**
 * The all-executions stream's query (`GET /ws`, `GET /events`): `events` among its types only
 * (all of them when absent); node and status filters do not apply to those events.
 */
export const AllStreamQuerySchema = z.object({ events: csv(AllEventsSchema) });

/** Messages a WebSocket client may send. */
export const ClientMessageSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('subscribe'),
    events: EventsSchema.optional(),
    filters: z
      .object({ nodeIds: NodeIdsSchema.optional(), statuses: StatusesSchema.optional() })
      .optional(),
  }),
  /** Send a fresh snapshot (e.g. after a `dropped` marker). */
  z.object({ action: z.literal('snapshot') }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** A filter compiled to sets, checked once per event and client. */
export class EventMatcher {
  private readonly events?: ReadonlySet<string>;
  private readonly nodeIds?: ReadonlySet<string>;
  private readonly statuses?: ReadonlySet<string>;

  constructor(readonly filter: StreamFilter) {
    if (filter.events) this.events = new Set(filter.events);
    if (filter.nodeIds) this.nodeIds = new Set(filter.nodeIds);
    if (filter.statuses) this.statuses = new Set(filter.statuses);
  }

  matches(event: EventEnvelope): boolean {
    if (this.events && !this.events.has(event.type)) return false;
    if (event.type === 'node_update') {
      const data = event.data as EventPayloads['node_update'];
      if (this.nodeIds && !this.nodeIds.has(data.nodeId)) return false;
      if (this.statuses && !this.statuses.has(data.to)) return false;
    } else if (event.type === 'tick_complete' && this.statuses) {
      return this.statuses.has((event.data as EventPayloads['tick_complete']).status);
    }
    return true;
  }
}
