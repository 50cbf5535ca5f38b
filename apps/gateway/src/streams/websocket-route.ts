import { type ErrorBody, ExecIdParamsSchema, parseWith } from '@canopy/contracts';
import { AppError, LOGGER } from '@canopy/service-kit';
import websocket from '@fastify/websocket';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { accessConfig } from '../auth/access';
import { CLOSE_POLICY_VIOLATION, type StreamClient, type StreamSink } from './stream-client';
import {
  AllEventsSchema,
  AllStreamQuerySchema,
  type ClientMessage,
  ClientMessageSchema,
  StreamQuerySchema,
} from './stream-filter';
import { ALL_EXECUTIONS, StreamHub } from './stream-hub';

export const WS_PATH = '/executions/:id/ws';
export const ALL_WS_PATH = '/ws';
/** Largest message a client may send (subscribe requests are small). */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

function wsSink(socket: WebSocket): StreamSink {
  return {
    send: (item, written) => socket.send(item.text, () => written()),
    buffered: () => socket.bufferedAmount,
    close: (code, reason) => socket.close(code, reason),
  };
}

/**
 * @fastify/websocket, before any other hook: its onRequest hook marks upgrade requests so that its
 * onResponse hook closes the socket of an upgrade answered with an error, even one answered by an
 * earlier hook (401 from auth): registered later, such a socket would stay open.
 */
export async function registerWebSocketPlugin(app: NestFastifyApplication): Promise<void> {
  await app
    .getHttpAdapter()
    .getInstance()
    .register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES } });
}

/** How one WebSocket route reads its request and joins the hub (or answers why not). */
type Joiner = (req: FastifyRequest) => { error: ErrorBody } | { join: () => Promise<StreamClient> };

/**
 * `GET /executions/:id/ws` (one execution: a snapshot, then its events) and `GET /ws` (every
 * execution's lifecycle and progress events), on Fastify directly (Nest's routing knows no
 * upgrades). The path and the optional filter in the query are checked, and the client joins
 * the hub (snapshot fetched), **before** the upgrade: an unknown execution is an ordinary 404
 * JSON response, not an accepted socket closed at once. A plain GET is answered 400.
 */
export async function registerWebSocketRoute(app: NestFastifyApplication): Promise<void> {
  const hub = app.get(StreamHub);
  const one: Joiner = (req) => {
    const params = parseWith(ExecIdParamsSchema, req.params);
    if (!params.ok) return { error: params.error };
    const filter = parseWith(StreamQuerySchema, req.query);
    if (!filter.ok) return { error: filter.error };
    return { join: () => hub.join(params.value.id, filter.value) };
  };
  const all: Joiner = (req) => {
    const filter = parseWith(AllStreamQuerySchema, req.query);
    if (!filter.ok) return { error: filter.error };
    return { join: () => hub.joinAll(filter.value) };
  };
  registerStreamRoute(app, WS_PATH, one, {
    access: accessConfig('viewer', { execution: true, streamToken: true }),
    sse: 'GET /executions/:id/events',
  });
  // Every team's executions: a key limited to teams watches its executions one by one.
  registerStreamRoute(app, ALL_WS_PATH, all, {
    access: accessConfig('viewer', { unrestricted: true, streamToken: true }),
    sse: 'GET /events',
  });
}

function registerStreamRoute(
  app: NestFastifyApplication,
  url: string,
  joiner: Joiner,
  opts: { access: ReturnType<typeof accessConfig>; sse: string },
): void {
  const fastify = app.getHttpAdapter().getInstance();
  const hub = app.get(StreamHub);
  const logger = app.get<Logger>(LOGGER);
  const joined = new WeakMap<FastifyRequest, StreamClient>();

  fastify.route({
    method: 'GET',
    url,
    // Auth (auth-hooks.ts) runs before this route's preValidation: nobody joins unauthenticated.
    config: opts.access,
    preValidation: async (req: FastifyRequest, reply: FastifyReply) => {
      const request = joiner(req);
      if ('error' in request) return reply.code(400).send(request.error);
      if (!req.ws) {
        return reply
          .code(400)
          .send(
            errorBody(
              `${url} needs a WebSocket upgrade; ${opts.sse} is the same stream as Server-Sent Events`,
            ),
          );
      }
      try {
        const client = await request.join();
        joined.set(req, client);
        // The upgrade may never complete (the peer left): do not keep the client then.
        req.raw.socket.once('close', () => client.close());
      } catch (error) {
        return sendError(reply, error, logger);
      }
    },
    handler: (_req, reply) => reply.code(400).send(errorBody('a WebSocket upgrade is required')),
    wsHandler: (socket, req) => {
      const client = joined.get(req);
      if (!client || client.isClosed) return socket.close(CLOSE_POLICY_VIOLATION, 'not joined');
      serve(socket, client, hub, logger);
    },
  });
}

function serve(socket: WebSocket, client: StreamClient, hub: StreamHub, logger: Logger): void {
  // A peer that misses a pong for a whole interval is gone (a dead link gives no close).
  let alive = true;
  socket.on('pong', () => (alive = true));
  const heartbeat = setInterval(() => {
    if (!alive) return socket.terminate();
    alive = false;
    socket.ping();
  }, hub.heartbeatMs);
  heartbeat.unref();
  socket.on('close', () => {
    clearInterval(heartbeat);
    client.close();
  });
  socket.on('error', (error) =>
    logger.warn({ err: error, execId: client.execId }, 'websocket error'),
  );
  socket.on('message', (data, isBinary) => {
    const message = parseMessage(data, isBinary);
    if ('error' in message) return client.control('error', message.error);
    if (message.action === 'snapshot') {
      hub.resync(client).catch((error: unknown) => client.control('error', toBody(error).error));
      return;
    }
    if (client.execId === ALL_EXECUTIONS && message.events) {
      const events = parseWith(AllEventsSchema, message.events);
      if (!events.ok) return client.control('error', events.error.error);
    }
    const filter = {
      events: message.events,
      nodeIds: message.filters?.nodeIds,
      statuses: message.filters?.statuses,
    };
    client.setFilter(filter);
    client.control('subscribed', filter);
  });
  client.attach(wsSink(socket));
}

function parseMessage(data: RawData, isBinary: boolean): ClientMessage | ErrorBody {
  if (isBinary) return errorBody('messages must be JSON text', 'BAD_JSON');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
  } catch {
    return errorBody('message is not valid JSON', 'BAD_JSON');
  }
  const parsed = parseWith(ClientMessageSchema, json);
  return parsed.ok ? parsed.value : parsed.error;
}

function errorBody(
  message: string,
  code: 'VALIDATION_FAILED' | 'BAD_JSON' = 'VALIDATION_FAILED',
): ErrorBody {
  return { error: { code, message } };
}

function toBody(error: unknown): ErrorBody {
  return error instanceof AppError
    ? error.toBody()
    : { error: { code: 'INTERNAL', message: 'Internal server error' } };
}

/** What service-kit's filter would answer (a 503 gets its Retry-After there too), outside Nest. */
function sendError(reply: FastifyReply, error: unknown, logger: Logger): FastifyReply {
  if (!(error instanceof AppError)) {
    logger.error({ err: error }, 'websocket join failed');
    return reply.code(500).send(toBody(error));
  }
  return reply.code(error.httpStatus).send(error.toBody());
}
