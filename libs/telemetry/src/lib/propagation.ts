import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { headers as createHeaders, Match, type MsgHdrs } from '@nats-io/nats-core';

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => carrier?.keys() ?? [],
  // Other clients may canonicalise header names (`Traceparent`); W3C names are lowercase.
  get: (carrier, key) =>
    carrier?.has(key, Match.IgnoreCase) ? carrier.get(key, Match.IgnoreCase) : undefined,
};

/**
 * Writes `traceparent`/`tracestate` (and baggage) for `ctx` into NATS headers, creating them if
 * needed. Every message Canopy sends carries them; TracedNats does this for you.
 */
export function injectTraceHeaders(
  headers: MsgHdrs = createHeaders(),
  ctx: Context = context.active(),
): MsgHdrs {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/**
 * The trace context a message was sent from. Starts from the root context, not the active one:
 * a subscription callback runs in whatever context the connection was opened in, and a message
 * must not become a child of that.
 */
export function contextFromHeaders(headers: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}
