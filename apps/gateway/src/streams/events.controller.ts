import { ALL_EXECUTIONS_EVENT_TYPES, ExecIdParamsSchema } from '@canopy/contracts';
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import {
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { valid } from '../http/validated';
import { ApiErrors } from '../openapi/zod-schema';
import type { StreamClient, StreamItem, StreamSink } from './stream-client';
import { AllStreamQuerySchema, StreamQuerySchema } from './stream-filter';
import { StreamHub } from './stream-hub';
import { Access } from '../auth/access';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx would otherwise buffer the stream.
  'x-accel-buffering': 'no',
};

/**
 * Whether the stream ends after this item: a stopped execution never has another event, so a
 * plain `curl -N` must not hang on it forever (a completed one may be started again).
 */
function endsStream(item: StreamItem): boolean {
  if (item.type === 'execution_stopped') return true;
  if (item.type !== 'snapshot') return false;
  try {
    return (JSON.parse(item.text) as { data?: { execution?: { state?: string } } }).data?.execution?.state === 'stopped';
  } catch {
    return false;
  }
}

/** Unnamed SSE messages (EventSource `onmessage`); events carry `id: <tick>-<seq>`. */
function sseSink(raw: ServerResponse): StreamSink {
  return {
    send: (item: StreamItem, written) => {
      const id = item.control ? '' : `id: ${item.tick}-${item.seq}\n`;
      const last = endsStream(item);
      raw.write(`${id}data: ${item.text}\n\n`, () => {
        written();
        if (last) raw.end();
      });
    },
    buffered: () => raw.writableLength,
    close: () => raw.end(),
  };
}

/** The live event stream of an execution as Server-Sent Events (the WebSocket twin is `/ws`). */
@ApiTags('streams')
@Controller('executions/:id')
export class EventsController {
  constructor(private readonly hub: StreamHub) {}

  @Get('events')
  @Access('viewer', { execution: true, streamToken: true })
  @ApiOperation({
    summary:
      "Server-Sent Events: a `snapshot`, then the execution's events as JSON `{type, execId, tick, seq, at, data}` (see docs/streams.md)",
  })
  @ApiParam({ name: 'id', type: String })
  @ApiQuery({
    name: 'events',
    required: false,
    type: String,
    description: 'event types, comma-separated',
  })
  @ApiQuery({
    name: 'nodeIds',
    required: false,
    type: String,
    description: 'node ids (node_update), comma-separated',
  })
  @ApiQuery({
    name: 'statuses',
    required: false,
    type: String,
    description: 'node_update.to / tick_complete.status, comma-separated',
  })
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description: 'The stream, until the client disconnects or the execution is stopped',
  })
  @ApiErrors('VALIDATION_FAILED', 'EXECUTION_NOT_FOUND', 'OWNER_UNAVAILABLE')
  async events(
    @Param(valid(ExecIdParamsSchema)) { id }: z.infer<typeof ExecIdParamsSchema>,
    @Query(valid(StreamQuerySchema)) filter: z.infer<typeof StreamQuerySchema>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Errors up to here are ordinary JSON error responses; from here on it is a stream.
    serveSse(await this.hub.join(id, filter), reply, this.hub.heartbeatMs);
  }
}

/** Every execution's lifecycle and progress events as Server-Sent Events (twin of `GET /ws`). */
@ApiTags('streams')
@Controller()
export class AllEventsController {
  constructor(private readonly hub: StreamHub) {}

  @Get('events')
  // Every team's executions: a key limited to teams watches its executions one by one.
  @Access('viewer', { unrestricted: true, streamToken: true })
  @ApiOperation({
    summary:
      'Server-Sent Events of every execution: `subscribed`, then lifecycle and `execution_progress` events (see docs/streams.md)',
  })
  @ApiQuery({
    name: 'events',
    required: false,
    type: String,
    description: `event types, comma-separated, among: ${ALL_EXECUTIONS_EVENT_TYPES.join(', ')}`,
  })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'The stream, until the client disconnects' })
  @ApiErrors('VALIDATION_FAILED', 'TOO_MANY_STREAM_CLIENTS')
  async events(
    @Query(valid(AllStreamQuerySchema)) filter: z.infer<typeof AllStreamQuerySchema>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    serveSse(await this.hub.joinAll(filter), reply, this.hub.heartbeatMs);
  }
}

function serveSse(client: StreamClient, reply: FastifyReply, heartbeatMs: number): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS });
  // A comment, so the client sees the response (and its headers) before the first event.
  raw.write(': canopy events\n\n');
  const heartbeat = setInterval(() => {
    if (raw.writableLength === 0) raw.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  const done = (): void => {
    clearInterval(heartbeat);
    client.close();
  };
  raw.on('close', done);
  // The client may have gone while the snapshot was fetched.
  if (raw.destroyed || !raw.socket || raw.socket.destroyed) return done();
  client.attach(sseSink(raw));
}
