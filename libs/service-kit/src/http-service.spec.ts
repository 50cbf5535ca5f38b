import { RecordingSpanExporter } from '@canopy/testing';
import { NatsRequestError } from '@canopy/telemetry';
import { Body, Controller, Get, Module, Param, Post, Res } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { trace } from '@opentelemetry/api';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { capturingLogger } from '../test/log-capture';
import { AppError, createHttpService, ZodValidationPipe } from './index';

const Counted = z.object({ count: z.number().int() });

@Controller('probe')
class ProbeController {
  @Get('app-error')
  appError(): never {
    throw new AppError('KEY_NOT_FOUND', 'key k not found in scope global', { key: 'k' });
  }

  @Get('crash')
  crash(): never {
    throw new Error('connect ECONNREFUSED 10.0.0.7:5432 (user=admin)');
  }

  @Get('remote')
  remote(): never {
    throw new NatsRequestError('canopy.cmd.3.e1', 'timeout', {
      error: {
        code: 'DEPENDENCY_UNAVAILABLE',
        message: 'no reply on canopy.cmd.3.e1 within 100 ms',
      },
    });
  }

  @Get('unavailable')
  unavailable(): never {
    throw new AppError('OWNER_UNAVAILABLE', 'shard moving');
  }

  @Get('busy')
  busy(@Res({ passthrough: true }) reply: FastifyReply): { busy: true } {
    void reply.status(503).header('retry-after', '1');
    return { busy: true };
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }

  @Get('item/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Post('counted')
  counted(@Body(new ZodValidationPipe(Counted)) body: z.infer<typeof Counted>): unknown {
    return body;
  }

  @Get('trace')
  traceGet(): { traceId?: string } {
    return { traceId: trace.getActiveSpan()?.spanContext().traceId };
  }

  @Post('trace')
  async tracePost(@Body() _body: unknown): Promise<{ traceId?: string }> {
    await new Promise((resolve) => setImmediate(resolve));
    return { traceId: trace.getActiveSpan()?.spanContext().traceId };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe(createHttpService.name, () => {
  const exporter = new RecordingSpanExporter();
  const logs = capturingLogger('probe');
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createHttpService(ProbeModule, {
      serviceName: 'probe',
      port: 0,
      bodyLimitBytes: 1024,
      jsonMaxDepth: 8,
      retryAfterSeconds: 9,
      logger: logs.logger,
      telemetry: { exporter },
    });
  });

  afterAll(() => app.close());

  describe('errors', () => {
    it('answers an AppError with its code, status and details', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe/app-error' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        error: {
          code: 'KEY_NOT_FOUND',
          message: 'key k not found in scope global',
          details: { key: 'k' },
        },
      });
    });

    it('answers an unknown error with 500 INTERNAL and logs what it hides', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe/crash' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error' } });
      expect(res.body).not.toContain('10.0.0.7');
      const logged = logs.lines().find((l) => l.msg === 'request failed');
      expect(JSON.stringify(logged)).toContain('ECONNREFUSED 10.0.0.7');
      expect(JSON.stringify(logged)).toContain('at ProbeController.crash');
    });

    it('passes on the error body of a failed NATS request', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe/remote' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'DEPENDENCY_UNAVAILABLE' } });
    });

    it('gives every 503 the configured Retry-After, and no other status one', async () => {
      for (const url of ['/probe/remote', '/probe/unavailable']) {
        const res = await app.inject({ method: 'GET', url });
        expect({ url, status: res.statusCode, retryAfter: res.headers['retry-after'] }).toEqual({
          url,
          status: 503,
          retryAfter: '9',
        });
      }
      for (const url of ['/probe/app-error', '/probe/crash', '/nope']) {
        const res = await app.inject({ method: 'GET', url });
        expect({ url, retryAfter: res.headers['retry-after'] }).toEqual({
          url,
          retryAfter: undefined,
        });
      }
    });

    it('keeps a Retry-After a route set itself', async () => {
      const res = await app.inject({ method: 'GET', url: '/probe/busy' });
      expect([res.statusCode, res.headers['retry-after']]).toEqual([503, '1']);
    });

    it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/probe/echo',
        payload: { blob: 'x'.repeat(2048) },
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    });

    it('answers a body nested deeper than jsonMaxDepth with 400 NESTING_TOO_DEEP, before the handler', async () => {
      const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const post = (payload: string) =>
        app.inject({ method: 'POST', url: '/probe/echo', headers: { 'content-type': 'application/json' }, payload });
      const deep = await post(`{"a":${nested(8)}}`);
      expect(deep.statusCode).toBe(400);
      expect(deep.json()).toEqual({
        error: {
          code: 'NESTING_TOO_DEEP',
          message: 'request body is nested deeper than 8 levels (JSON_MAX_DEPTH)',
          details: { maxDepth: 8 },
        },
      });
      const atLimit = await post(`{"a":${nested(7)}}`);
      expect(atLimit.statusCode).toBe(201);
      expect(atLimit.body).toBe(`{"a":${nested(7)}}`);
    });

    it('answers a body of another content type with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/octet-stream' },
        payload: 'hello',
      });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
      // Nor is a form read as fields (Nest's default form parser is off).
      const form = await app.inject({
        method: 'POST',
        url: '/probe/counted',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'count=1',
      });
      expect(form.statusCode).toBe(415);
      expect(form.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    });

    it('answers what the router refuses in the error shape: a bad URL (400), a long parameter (414)', async () => {
      const bad = await app.inject({ method: 'GET', url: '/probe/item/%zz' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      const long = await app.inject({ method: 'GET', url: `/probe/item/${'a'.repeat(101)}` });
      expect(long.statusCode).toBe(414);
      expect(long.json()).toMatchObject({ error: { code: 'URI_TOO_LONG' } });
      const fine = await app.inject({ method: 'GET', url: `/probe/item/${'a'.repeat(100)}` });
      expect(fine.json()).toEqual({ id: 'a'.repeat(100) });
    });

    it('answers malformed JSON with 400 BAD_JSON', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"count": ',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'BAD_JSON' } });
    });

    it('answers valid JSON with a __proto__ or constructor.prototype key 400 FORBIDDEN_KEY, naming the key', async () => {
      for (const [payload, path] of [
        ['{"a":{"__proto__":{"x":1}}}', 'a.__proto__'],
        ['{"constructor":{"prototype":{"x":1}}}', 'constructor.prototype'],
        ['[{"__proto__":1}]', '[0].__proto__'],
      ]) {
        const res = await app.inject({
          method: 'POST',
          url: '/probe/echo',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 'FORBIDDEN_KEY', details: { path } } });
        expect(res.json().error.message).toContain('__proto__');
      }
      const fine = await app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"constructor":1,"proto":{"prototype":2}}',
      });
      expect(fine.json()).toEqual({ constructor: 1, proto: { prototype: 2 } });
    });

    it('answers an unknown route with 404 NOT_FOUND', async () => {
      const res = await app.inject({ method: 'GET', url: '/nope' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Cannot GET /nope' } });
    });

    it('answers a body that fails its schema with 400 VALIDATION_FAILED and every field', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/probe/counted',
        payload: { count: 1.5 },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: {
          code: 'VALIDATION_FAILED',
          fields: [{ field: 'count', message: expect.any(String) }],
        },
      });
    });
  });

  describe('tracing and request logs', () => {
    it.each(['GET', 'POST'] as const)(
      '%s handlers run inside the caller’s trace',
      async (method) => {
        const res = await app.inject({
          method,
          url: '/probe/trace',
          headers: { traceparent: TRACEPARENT },
          ...(method === 'POST' ? { payload: { some: 'body' } } : {}),
        });
        expect(res.json()).toEqual({ traceId: TRACE_ID });
        expect(res.headers['x-trace-id']).toBe(TRACE_ID);
      },
    );

    it('records a SERVER span named after the route', async () => {
      await app.inject({ method: 'GET', url: '/probe/trace?x=1' });
      const span = await exporter.span('GET /probe/trace');
      expect(span.attributes).toMatchObject({
        'http.route': '/probe/trace',
        'http.response.status_code': 200,
      });
    });

    it('logs each request with its trace id, except health probes and metrics scrapes', async () => {
      const logged = logs.next((l) => l.msg === 'request completed');
      await app.inject({ method: 'GET', url: '/healthz' });
      await app.inject({ method: 'GET', url: '/readyz' });
      await app.inject({ method: 'GET', url: '/metrics' });
      await app.inject({ method: 'GET', url: '/probe/echo-me-not' });
      // The first request line logged after the probes belongs to the last request.
      expect(await logged).toMatchObject({ url: '/probe/echo-me-not', statusCode: 404 });

      const traced = logs.next((l) => l.msg === 'request completed');
      await app.inject({
        method: 'GET',
        url: '/probe/trace',
        headers: { traceparent: TRACEPARENT },
      });
      expect(await traced).toMatchObject({
        url: '/probe/trace',
        statusCode: 200,
        trace_id: TRACE_ID,
      });
    });

    it('serves liveness without dependencies', async () => {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });
  });
});
