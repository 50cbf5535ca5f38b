import { MSG_ID_HEADER } from '@canopy/contracts';
import { injectTraceHeaders } from '@canopy/telemetry';
import { headers as createHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { context, type Context } from '@opentelemetry/api';
import { JetStreamAcks, type StreamAck } from './js-acks';

/**
 * How the publisher sends: JSON text with W3C trace headers, on the runner's one connection (so
 * a tick's record and events keep their order), without a span per message: the tick's `publish`
 * span is the context every message of the tick carries.
 */
export interface Wire {
  /** Trace headers of `ctx` (default: the active context); the messages of one tick share them. */
  traceHeaders(ctx?: Context): MsgHdrs;
  publish(subject: string, json: string, headers: MsgHdrs): void;
  /** A JetStream publish deduplicated by `msgId`; resolves on the stream's ack. */
  publishAcked(subject: string, data: string | Uint8Array, msgId: string, ctx?: Context): Promise<StreamAck>;
}

export class NatsWire implements Wire {
  private readonly acks: JetStreamAcks;

  constructor(
    private readonly nc: NatsConnection,
    ackTimeoutMs?: number,
  ) {
    this.acks = new JetStreamAcks(nc, ackTimeoutMs);
  }

  traceHeaders(ctx: Context = context.active()): MsgHdrs {
    return injectTraceHeaders(createHeaders(), ctx);
  }

  publish(subject: string, json: string, headers: MsgHdrs): void {
    this.nc.publish(subject, json, { headers });
  }

  publishAcked(subject: string, data: string | Uint8Array, msgId: string, ctx?: Context): Promise<StreamAck> {
    const headers = this.traceHeaders(ctx);
    headers.set(MSG_ID_HEADER, msgId);
    return this.acks.publish(subject, data, headers);
  }

  close(): void {
    this.acks.close();
  }
}
