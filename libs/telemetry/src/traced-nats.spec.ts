import { RecordingSpanExporter, startNats, type NatsHandle } from '@canopy/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { z } from 'zod';
import {
  contextFromHeaders,
  createLogger,
  NatsRequestError,
  startTelemetry,
  type Telemetry,
  TracedNats,
  withSpan,
} from './index';

/** Headers of a reply chunk as chunked-reply.ts writes them, saying the reply has `count` chunks. */
function chunkHeaders(count: number) {
  const h = natsHeaders();
  h.set('Canopy-Chunks', String(count));
  return h;
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const traceOf = (span: ReadableSpan): string => span.spanContext().traceId;

describe(TracedNats.name, () => {
  const exporter = new RecordingSpanExporter();
  const logLines: string[] = [];
  let telemetry: Telemetry;
  let nats: NatsHandle;
  let nc: NatsConnection;
  let sut: TracedNats;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'telemetry-spec', exporter });
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'SPEC', subjects: ['spec.stream.>'] });
    const logger = createLogger('telemetry-spec', {
      level: 'debug',
      destination: new Writable({
        write: (chunk: Buffer, _enc, done) => {
          logLines.push(chunk.toString());
          done();
        },
      }),
    });
    sut = new TracedNats(nc, jetstream(nc), { logger });
  });

  afterEach(() => exporter.reset());

  afterAll(async () => {
    await sut.drain();
    await nats.dispose();
    await telemetry.shutdown();
  });

  it('carries one trace from a parent span through request, handler and JetStream publish', async () => {
    sut.subscribe<{ execId: string }>('spec.cmd.*', async (payload) => {
      const ack = await sut.jsPublish(`spec.stream.${payload.execId}`, payload, {
        msgID: `${payload.execId}:1`,
        pattern: 'spec.stream.*',
      });
      return { seq: ack.seq };
    });

    const reply = await withSpan('gateway', () =>
      sut.request<{ seq: number }>(
        'spec.cmd.e1',
        { execId: 'e1' },
        { timeoutMs: 2000, pattern: 'spec.cmd.*' },
      ),
    );
    expect(reply).toEqual({ seq: 1 });

    const [root, request, process, publish] = await Promise.all(
      ['gateway', 'spec.cmd.* request', 'spec.cmd.* process', 'spec.stream.* publish'].map((n) =>
        exporter.span(n),
      ),
    );
    expect(new Set([root, request, process, publish].map(traceOf)).size).toBe(1);
    expect(parentOf(request)).toBe(idOf(root));
    expect(parentOf(process)).toBe(idOf(request));
    expect(parentOf(publish)).toBe(idOf(process));
    expect([request.kind, process.kind, publish.kind]).toEqual([
      SpanKind.CLIENT,
      SpanKind.SERVER,
      SpanKind.PRODUCER,
    ]);

    // A raw JetStream consumer recovers the producer's context from the stored message.
    const stored = await (await jetstream(nc).consumers.get('SPEC')).next({ expires: 2000 });
    const carried = trace.getSpanContext(contextFromHeaders(stored?.headers));
    expect(carried).toMatchObject({ traceId: traceOf(root), spanId: idOf(publish) });
  });

  it('answers a failing handler with a structured error and keeps serving', async () => {
    let calls = 0;
    sut.subscribe('spec.flaky', () => {
      calls += 1;
      if (calls === 1) throw new Error('db password=hunter2 leaked');
      return { ok: true };
    });

    const failure = await sut
      .request('spec.flaky', {}, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NatsRequestError);
    expect((failure as NatsRequestError).failure).toBe('remote');
    // Unknown errors are logged, never replied: the message may hold internals.
    expect((failure as NatsRequestError).toBody()).toEqual({
      error: { code: 'INTERNAL', message: 'internal error' },
    });
    expect(await sut.request('spec.flaky', {}, { timeoutMs: 2000 })).toEqual({ ok: true });

    const span = await exporter.span('spec.flaky process');
    expect(span.status.code).toBe(2 /* ERROR */);
    expect(logLines.some((l) => l.includes('"code":"INTERNAL"') && l.includes(traceOf(span)))).toBe(
      true,
    );
  });

  it('passes coded errors through as they are', async () => {
    class NotThere extends Error {
      readonly code = 'KEY_NOT_FOUND';
      readonly details = { key: 'k' };
    }
    sut.subscribe('spec.lookup', () => {
      throw new NotThere('key k not found');
    });
    const failure = await sut
      .request('spec.lookup', {}, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect((failure as NatsRequestError).toBody()).toEqual({
      error: { code: 'KEY_NOT_FOUND', message: 'key k not found', details: { key: 'k' } },
    });
  });

  it('logs a refused request (4xx code) at debug without a stack, a coded 5xx as a warning', async () => {
    class Refused extends Error {
      constructor(readonly code: string) {
        super(`refused with ${code}`);
      }
    }
    sut.subscribe<{ code: string }>('spec.refuse', ({ code }) => {
      throw new Refused(code);
    });
    for (const code of ['EXECUTION_NOT_FOUND', 'DEPENDENCY_UNAVAILABLE']) {
      await sut.request('spec.refuse', { code }, { timeoutMs: 2000 }).catch(() => undefined);
    }
    const lineOf = (code: string) =>
      logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.code === code);
    const refused = lineOf('EXECUTION_NOT_FOUND');
    expect(refused).toMatchObject({ level: 'debug', reason: 'refused with EXECUTION_NOT_FOUND' });
    expect(refused).not.toHaveProperty('err');
    const away = lineOf('DEPENDENCY_UNAVAILABLE');
    expect(away).toMatchObject({ level: 'warn' });
    expect(away).not.toHaveProperty('err');
  });

  it('refuses a request with a __proto__ key (FORBIDDEN_KEY), as the HTTP body parser does', async () => {
    let handled = 0;
    sut.subscribe('spec.keys', () => {
      handled += 1;
      return { ok: true };
    });
    const raw = new TextEncoder().encode('{"blackboard":{"__proto__":{"x":1}}}');
    const reply = await nc.request('spec.keys', raw, { timeout: 2000 });
    expect(reply.json()).toMatchObject({
      error: { code: 'FORBIDDEN_KEY', details: { path: 'blackboard.__proto__' } },
    });
    expect(handled).toBe(0);
  });

  it('validates payloads against a schema before the handler runs', async () => {
    const handler = jest.fn();
    sut.subscribe('spec.validated', handler, { schema: z.object({ count: z.number().int() }) });
    const failure = await sut
      .request('spec.validated', { count: 'many' }, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect((failure as NatsRequestError).code).toBe('VALIDATION_FAILED');
    expect((failure as NatsRequestError).toBody().error.fields).toEqual([
      { field: 'count', message: expect.any(String) },
    ]);
    expect(handler).not.toHaveBeenCalled();
  });

  it('reports a subject nobody serves as no-responders, not a timeout', async () => {
    const failure = await sut
      .request('spec.nobody', {}, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ failure: 'no-responders', code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('sends sealed trace headers (encoded once) with every message, and refuses to change them', async () => {
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      nc.subscribe('spec.sealed', {
        callback: (_err, msg) => {
          got.push(msg.headers?.get('traceparent') ?? '');
          if (got.length === 3) resolve();
        },
      });
    });
    await nc.flush();
    const { traceparent, sealed } = await withSpan('tick', () => {
      const headers = sut.sealedTraceHeaders();
      return { traceparent: headers.get('traceparent'), sealed: headers };
    });
    for (let i = 0; i < 3; i++) sut.send('spec.sealed', `{"n":${i}}`, sealed);
    await done;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(got).toEqual([traceparent, traceparent, traceparent]);
    expect(() => sealed.set('x', 'y')).toThrow('sealed headers cannot change');
  });

  describe('a reply larger than one NATS message', () => {
    // 2.5 MB of JSON: three chunks at the test server's 1 MB max_payload.
    const big = { items: Array.from({ length: 5 }, (_, i) => String(i).repeat(500_000)) };

    it('comes whole, in chunks, to a requester that takes them (largeReply)', async () => {
      sut.subscribe('spec.large.ok', () => big);
      const reply = await sut.request<typeof big>('spec.large.ok', {}, { timeoutMs: 5000, largeReply: true });
      expect(reply.items.map((s) => [s.length, s[0]])).toEqual(big.items.map((s) => [500_000, s[0]]));
      // Small replies and error bodies travel the same way.
      sut.subscribe('spec.large.small', () => ({ n: 1 }));
      await expect(sut.request('spec.large.small', {}, { timeoutMs: 2000, largeReply: true })).resolves.toEqual({ n: 1 });
      sut.subscribe('spec.large.fails', () => {
        throw new NatsRequestError('x', 'remote', { error: { code: 'KEY_NOT_FOUND', message: 'no such key' } });
      });
      await expect(sut.request('spec.large.fails', {}, { timeoutMs: 2000, largeReply: true })).rejects.toMatchObject({
        failure: 'remote',
        code: 'KEY_NOT_FOUND',
      });
    });

    it('is PAYLOAD_TOO_LARGE (not a timeout) to a requester that takes one message', async () => {
      sut.subscribe('spec.large.plain', () => big);
      await expect(sut.request('spec.large.plain', {}, { timeoutMs: 5000 })).rejects.toMatchObject({
        failure: 'remote',
        code: 'PAYLOAD_TOO_LARGE',
      });
    });

    it('reports nobody serving, and a reply that never completes, like a plain request', async () => {
      await expect(sut.request('spec.large.nobody', {}, { timeoutMs: 1000, largeReply: true })).rejects.toMatchObject({
        failure: 'no-responders',
      });
      // A responder that sends one chunk of two and never the rest.
      nc.subscribe('spec.large.cut', {
        callback: (_err, msg) => {
          msg.respond(new TextEncoder().encode('{"part'), { headers: chunkHeaders(2) });
        },
      });
      await expect(sut.request('spec.large.cut', {}, { timeoutMs: 500, largeReply: true })).rejects.toMatchObject({
        failure: 'timeout',
      });
    });
  });

  it('links a plain publish to its consumer span', async () => {
    const received = new Promise<unknown>((resolve) =>
      sut.subscribe('spec.event', (p) => resolve(p)),
    );
    await withSpan('tick', () => sut.publish('spec.event', { n: 1 }));
    expect(await received).toEqual({ n: 1 });

    const [publish, consume] = await Promise.all([
      exporter.span('spec.event publish'),
      exporter.span('spec.event process'),
    ]);
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consume)).toBe(idOf(publish));
  });

  it('after a NATS restart, fails the acks still outstanding as interrupted and tells its reconnect listeners', async () => {
    // A server of its own: the restart must not disturb the other tests' connection.
    const own = await startNats();
    const nc2 = await connect({ servers: own.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    try {
      await (await jetstreamManager(nc2)).streams.add({ name: 'SPEC', subjects: ['spec.stream.>'] });
      const client = new TracedNats(nc2, jetstream(nc2), { ackTimeoutMs: 60_000 });
      const reconnected = new Promise<void>((resolve) => client.onReconnect(resolve));
      // A subscriber that never answers: no "no responders", so the publish waits until the
      // connection is interrupted.
      nc2.subscribe('spec.silent.>');
      await nc2.flush();
      const pending = client.sendAcked('spec.silent.a', '{}', 'silent-1', client.traceHeaders());
      const failed = expect(pending).rejects.toMatchObject({ failure: 'interrupted' });
      await own.restart();
      await reconnected;
      await failed;
      const ack = await client.jsPublish('spec.stream.after', { n: 1 }, { msgID: 'after-1' });
      expect(ack).toMatchObject({ stream: 'SPEC', duplicate: false });
    } finally {
      await nc2.close();
      await own.dispose();
    }
  });

  it('handles messages one at a time, in order, when asked', async () => {
    const events: string[] = [];
    const gate = deferred();
    const firstStarted = deferred();
    const lastEnded = deferred();
    sut.subscribe<number>(
      'spec.ordered',
      async (n) => {
        events.push(`start ${n}`);
        if (n === 1) {
          firstStarted.resolve();
          await gate.promise;
        }
        events.push(`end ${n}`);
        if (n === 3) lastEnded.resolve();
      },
      { ordered: true },
    );
    [1, 2, 3].forEach((n) => sut.publish('spec.ordered', n));
    await firstStarted.promise;
    await nc.flush(); // the server has delivered all three to this connection by now
    expect(events).toEqual(['start 1']);

    gate.resolve();
    await lastEnded.promise;
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
