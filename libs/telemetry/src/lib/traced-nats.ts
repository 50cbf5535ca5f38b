import { type ErrorCode, ErrorCodes, forbiddenJsonKey, forbiddenKey, httpStatusOf, isErrorBody, JSON_MAX_DEPTH_DEFAULT, jsonTooDeep, nestingTooDeep, parseWith } from '@canopy/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import {
  headers as createHeaders,
  InvalidArgumentError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
  TimeoutError,
} from '@nats-io/nats-core';
import { type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { errorBodyOf, hasErrorBody, InvalidPayloadError, isCodedError } from './error-body';
import { JetStreamAcks, type StreamAck } from './jetstream-acks';
import { decodeJson, encodeJson } from './json-codec';
import { createLogger } from './logger';
import { ACCEPT_CHUNKS, DEFAULT_MAX_PAYLOAD, isNoResponders, requestChunked, respondChunked } from './chunked-reply';
import { NatsRequestError } from './nats-request-error';
import { contextFromHeaders, injectTraceHeaders } from './propagation';
import { recordError, TRACER_NAME, withSpan } from './spans';

export interface SendOptions {
  headers?: MsgHdrs;
  /**
   * Low-cardinality name for the span, e.g. `canopy.ticks.*` when publishing to
   * `canopy.ticks.<execId>`. Defaults to the subject.
   */
  pattern?: string;
}

export interface RequestOptions extends SendOptions {
  timeoutMs: number;
  /**
   * The reply may be larger than one NATS message (it holds user data of any size): it comes in
   * chunks (chunked-reply.ts). Costs a subscription per request; for reads, not the tick path.
   */
  largeReply?: boolean;
}

export interface JsPublishOptions extends SendOptions {
  /** Dedup id: JetStream drops a second message with the same id within the stream's window. */
  msgID: string;
}

/** Header carrying JetStream's dedup id. */
const MSG_ID = 'Nats-Msg-Id';

export interface SubscribeOptions<T> {
  /** Queue group: each message goes to one member. */
  queue?: string;
  /**
   * Handle one message at a time, in arrival order. By default handlers run concurrently, so a
   * slow handler does not hold up the next message.
   */
  ordered?: boolean;
  /** Validate the payload first; a bad one is answered with VALIDATION_FAILED and not handled. */
  schema?: z.ZodType<T>;
}

/** Gets the decoded payload; a request is answered with what it returns. */
export type MessageHandler<T, R> = (payload: T, msg: Msg) => R | Promise<R>;

/**
 * The one NATS client wrapper: JSON payloads, W3C trace context in the headers of every message,
 * a span per publish/request/handled message, and handler errors answered as an ErrorBody
 * (`{error:{code,message}}`) instead of a timeout.
 */
export class TracedNats {
  private readonly logger: Logger;
  private readonly subscriptions = new Set<Subscription>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly reconnectListeners = new Set<() => void>();
  private acks: JetStreamAcks | undefined;
  private readonly ackTimeoutMs: number;
  /** The connection's `inboxPrefix`: a user's permissions allow only its own inboxes. */
  private readonly inboxPrefix: string | undefined;
  private readonly jsonMaxDepth: number;

  constructor(
    readonly connection: NatsConnection,
    private readonly js?: JetStreamClient,
    /** `jsonMaxDepth`: deeper handled payloads are answered NESTING_TOO_DEEP (JSON_MAX_DEPTH). */
    opts: { logger?: Logger; ackTimeoutMs?: number; inboxPrefix?: string; jsonMaxDepth?: number } = {},
  ) {
    this.inboxPrefix = opts.inboxPrefix;
    this.logger = opts.logger ?? createLogger('traced-nats');
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
    this.jsonMaxDepth = opts.jsonMaxDepth ?? JSON_MAX_DEPTH_DEFAULT;
    void this.watchStatus();
  }

  get jetstream(): JetStreamClient {
    if (!this.js) throw new Error('TracedNats was created without a JetStream client');
    return this.js;
  }

  publish(subject: string, payload: unknown, opts: SendOptions = {}): void {
    const span = trace.getTracer(TRACER_NAME).startSpan(`${opts.pattern ?? subject} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: messagingAttributes(subject, 'send'),
    });
    try {
      const headers = injectTraceHeaders(opts.headers, trace.setSpan(context.active(), span));
      this.connection.publish(subject, encodeJson(payload), { headers });
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** Resolves with the reply; rejects with NatsRequestError on an error reply, timeout or no responders. */
  request<R>(subject: string, payload: unknown, opts: RequestOptions): Promise<R> {
    return withSpan(
      `${opts.pattern ?? subject} request`,
      async () => {
        const headers = injectTraceHeaders(opts.headers);
        // A payload over the server's max_payload throws before anything is sent, synchronously.
        const data = await Promise.resolve()
          .then(async () =>
            opts.largeReply
              ? requestChunked(this.connection, subject, encodeJson(payload), headers, opts.timeoutMs)
              : (await this.connection.request(subject, encodeJson(payload), { timeout: opts.timeoutMs, headers })).data,
          )
          .catch((error: unknown) => {
            throw transportFailure(subject, opts.timeoutMs, error);
          });
        const body = decodeJson<unknown>(data);
        if (isErrorBody(body)) throw new NatsRequestError(subject, 'remote', body);
        return body as R;
      },
      { kind: SpanKind.CLIENT, attributes: messagingAttributes(subject, 'send') },
    );
  }

  /**
   * Publishes to JetStream and resolves with the stream's ack (`duplicate` when msgID was seen);
   * rejects with JetStreamPublishError (its `failure` says why), after which resending with the
   * same msgID is always safe.
   */
  jsPublish(subject: string, payload: unknown, opts: JsPublishOptions): Promise<StreamAck> {
    return withSpan(
      `${opts.pattern ?? subject} publish`,
      () => {
        const headers = injectTraceHeaders(opts.headers);
        headers.set(MSG_ID, opts.msgID);
        return this.jetStreamAcks().publish(subject, encodeJson(payload), headers);
      },
      {
        kind: SpanKind.PRODUCER,
        attributes: { ...messagingAttributes(subject, 'send'), 'messaging.message.id': opts.msgID },
      },
    );
  }

  // ---- Batches: the caller's span covers many messages ----------------------------------------
  // A tick sends a record and several events; a span per message would cost more than the tick.
  // These take pre-encoded JSON and headers from `traceHeaders`, so every message still carries
  // the trace context of the span that sent the batch.

  /** Trace headers of `ctx` (default: the active context), to share among a batch's messages. */
  traceHeaders(ctx: Context = context.active()): MsgHdrs {
    return injectTraceHeaders(createHeaders(), ctx);
  }

  /**
   * `traceHeaders` for many messages that never change them (a tick's events): encoded once, not
   * by nats.js at every publish. Nothing may be set on them afterwards.
   */
  sealedTraceHeaders(ctx: Context = context.active()): MsgHdrs {
    const headers = this.traceHeaders(ctx);
    const bytes = (headers as MsgHdrs & { encode(): Uint8Array }).encode();
    const seal = () => {
      throw new Error('sealed headers cannot change');
    };
    return Object.assign(headers, { encode: () => bytes, set: seal, append: seal, delete: seal });
  }

  /** A core publish of JSON text or bytes, without a span of its own. */
  send(subject: string, json: string | Uint8Array, headers: MsgHdrs): void {
    this.connection.publish(subject, json, { headers });
  }

  /** `jsPublish` without a span of its own: `headers` must not be shared (the msg id is set on them). */
  sendAcked(subject: string, json: string | Uint8Array, msgId: string, headers: MsgHdrs): Promise<StreamAck> {
    headers.set(MSG_ID, msgId);
    return this.jetStreamAcks().publish(subject, json, headers);
  }

  /**
   * Runs `listener` each time the connection comes back after a disconnect (after acks still
   * outstanding from before were failed as `interrupted`). Returns a function that removes it.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /**
   * Runs `handler` for each message inside the sender's trace, in a `<subject> process` span
   * (SERVER for requests, CONSUMER otherwise). For requests the return value is the reply and a
   * thrown error becomes an ErrorBody reply; either way the subscription stays alive.
   */
  subscribe<T, R = unknown>(
    subject: string,
    handler: MessageHandler<T, R>,
    opts: SubscribeOptions<T> = {},
  ): Subscription {
    const run = (msg: Msg): Promise<void> =>
      this.track(this.handle(subject, msg, handler, opts.schema));
    let sub: Subscription;
    if (opts.ordered) {
      sub = this.connection.subscribe(subject, { queue: opts.queue });
      void (async () => {
        for await (const msg of sub) await run(msg);
      })();
    } else {
      sub = this.connection.subscribe(subject, {
        queue: opts.queue,
        callback: (error, msg) => {
          if (error) this.logger.error({ err: error, subject }, 'subscription failed');
          else void run(msg);
        },
      });
    }
    this.subscriptions.add(sub);
    void sub.closed.finally(() => this.subscriptions.delete(sub));
    return sub;
  }

  /**
   * Graceful stop: stop taking messages, let running handlers finish and reply, then drain the
   * connection (flushes pending publishes and closes it).
   */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((sub) => sub.drain()));
    await Promise.allSettled([...this.inFlight]);
    if (!this.connection.isClosed() && !this.connection.isDraining()) await this.connection.drain();
  }

  private jetStreamAcks(): JetStreamAcks {
    return (this.acks ??= new JetStreamAcks(this.connection, this.ackTimeoutMs, this.inboxPrefix));
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type !== 'reconnect') continue;
      this.acks?.interrupt();
      for (const listener of this.reconnectListeners) {
        try {
          listener();
        } catch (error) {
          this.logger.error({ err: error }, 'reconnect listener failed');
        }
      }
    }
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async handle<T, R>(
    pattern: string,
    msg: Msg,
    handler: MessageHandler<T, R>,
    schema: z.ZodType<T> | undefined,
  ): Promise<void> {
    const isRequest = Boolean(msg.reply);
    const parent = contextFromHeaders(msg.headers);
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${pattern} process`,
      {
        kind: isRequest ? SpanKind.SERVER : SpanKind.CONSUMER,
        attributes: messagingAttributes(msg.subject, 'process'),
      },
      parent,
    );
    await context.with(trace.setSpan(parent, span), async () => {
      try {
        const result = await handler(decodePayload(msg, schema, this.jsonMaxDepth), msg);
        if (isRequest) this.reply(msg, result);
      } catch (error) {
        this.fail(span, msg, error);
      } finally {
        span.end();
      }
    });
  }

  private fail(span: Span, msg: Msg, error: unknown): void {
    recordError(span, error);
    const body = errorBodyOf(error);
    const { code } = body.error;
    // A refusal's message may quote the input (a huge key): the log keeps its start.
    const message = body.error.message.length > REASON_MAX_CHARS ? `${body.error.message.slice(0, REASON_MAX_CHARS)}…` : body.error.message;
    // Coded failures are expected outcomes. A 4xx one (not found, conflict, bad input) is the
    // requester's to fix: debug, without a stack (a stack per bad request buried real faults). A
    // coded 5xx (a dependency away) is a warning; anything else is a bug here, with its stack.
    if (!(isCodedError(error) || hasErrorBody(error))) {
      this.logger.error({ err: error, subject: msg.subject, code }, 'message handler failed');
    } else if (isClientError(code)) {
      this.logger.debug({ subject: msg.subject, code, reason: message }, 'request refused');
    } else {
      this.logger.warn({ subject: msg.subject, code, reason: message }, 'message handler failed');
    }
    if (msg.reply) this.reply(msg, body);
  }

  /**
   * A reply can fail (connection closing); that must not become an unhandled rejection. A reply
   * too large for one NATS message is answered PAYLOAD_TOO_LARGE, so the requester gets a 413
   * instead of waiting for a timeout, unless the requester takes it in chunks.
   */
  private reply(msg: Msg, payload: unknown): void {
    try {
      if (msg.headers?.get(ACCEPT_CHUNKS) === '1') {
        const maxPayload = this.connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
        return respondChunked(msg, encodeJson(payload), injectTraceHeaders(), maxPayload);
      }
      msg.respond(encodeJson(payload), { headers: injectTraceHeaders() });
    } catch (error) {
      if (isTooLarge(error)) return this.reply(msg, tooLarge(`the reply on ${msg.subject}`).toBody());
      this.logger.warn({ err: error, subject: msg.subject }, 'could not send reply');
    }
  }
}

function decodePayload<T>(msg: Msg, schema: z.ZodType<T> | undefined, maxDepth: number): T {
  let payload: unknown;
  try {
    payload = decodeJson<unknown>(msg.data);
  } catch {
    throw new InvalidPayloadError({
      error: { code: 'BAD_JSON', message: `payload on ${msg.subject} is not valid JSON` },
    });
  }
  // Before anything recursive (the schema, JSON.stringify when it is stored or sent on) sees it.
  if (jsonTooDeep(payload, maxDepth)) {
    throw new InvalidPayloadError(nestingTooDeep(maxDepth, `payload on ${msg.subject}`));
  }
  // A request is data entering a service, refused as over HTTP; published changes and events are
  // what services already accepted (a tree's map may hold such a key), so they pass.
  const forbidden = msg.reply ? forbiddenJsonKey(payload) : undefined;
  if (forbidden !== undefined) {
    throw new InvalidPayloadError(forbiddenKey(forbidden, `the request on ${msg.subject}`));
  }
  if (!schema) return payload as T;
  const parsed = parseWith(schema, payload);
  if (!parsed.ok) throw new InvalidPayloadError(parsed.error);
  return parsed.value as T;
}

function messagingAttributes(
  subject: string,
  operation: 'send' | 'process',
): Record<string, string> {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation.type': operation,
  };
}

/** nats.js refuses a message larger than the server's max_payload (1 MB by default) this way. */
function isTooLarge(error: unknown): boolean {
  return error instanceof InvalidArgumentError && error.message.includes('max_payload');
}

function tooLarge(what: string): InvalidPayloadError {
  return new InvalidPayloadError({
    error: {
      code: 'PAYLOAD_TOO_LARGE',
      message: `${what} is larger than a NATS message may be (the server's max_payload)`,
    },
  });
}

function transportFailure(subject: string, timeoutMs: number, error: unknown): Error {
  // Never sent: the caller's request is too large, which no retry changes (a 413, not a 5xx).
  if (isTooLarge(error)) return tooLarge(`the request on ${subject}`);
  if (error instanceof TimeoutError) {
    return new NatsRequestError(
      subject,
      'timeout',
      {
        error: {
          code: 'DEPENDENCY_UNAVAILABLE',
          message: `no reply on ${subject} within ${timeoutMs} ms`,
        },
      },
      { cause: error },
    );
  }
  if (isNoResponders(error)) {
    return new NatsRequestError(
      subject,
      'no-responders',
      { error: { code: 'DEPENDENCY_UNAVAILABLE', message: `nothing listens on ${subject}` } },
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

const REASON_MAX_CHARS = 500;

/** A code the contract answers with a 4xx. */
function isClientError(code: string): boolean {
  return Object.hasOwn(ErrorCodes, code) && httpStatusOf(code as ErrorCode) < 500;
}
