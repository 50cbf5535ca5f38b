import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { join } from 'node:path';
import { startTelemetry, withSpan } from './index';

const FIXTURE = join(__dirname, '..', 'test', 'fixtures', 'export-one-span.ts');

describe(startTelemetry.name, () => {
  it('creates real trace ids even when nothing exports', async () => {
    const sut = startTelemetry({ serviceName: 'no-export' });
    try {
      const ctx = await withSpan('work', (span) => span.spanContext());
      expect(trace.isSpanContextValid(ctx)).toBe(true);
    } finally {
      await sut.shutdown();
    }
  });

  it('runs once per process: later calls join, and it stops with the last handle', async () => {
    const first = new InMemorySpanExporter();
    const owner = startTelemetry({ serviceName: 'a', exporter: first });
    const joiner = startTelemetry({ serviceName: 'b', exporter: new InMemorySpanExporter() });
    await joiner.shutdown();
    await withSpan('after-joiner-left', () => undefined);
    await owner.flush();
    expect(first.getFinishedSpans().map((s) => s.name)).toEqual(['after-joiner-left']);
    await owner.shutdown();

    const second = new InMemorySpanExporter();
    const again = startTelemetry({ serviceName: 'c', exporter: second });
    await withSpan('two', () => undefined);
    await again.flush();
    expect(second.getFinishedSpans().map((s) => s.name)).toEqual(['two']);
    expect(second.getFinishedSpans()[0].resource.attributes['service.name']).toBe('c');
    await again.shutdown();
  });

  it('samples root spans at rootSampleRatio and follows the decision of a parent', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = startTelemetry({ serviceName: 'sampled', exporter, rootSampleRatio: 0 });
    try {
      const tracer = trace.getTracer('spec');
      tracer.startSpan('scheduled tick', {}, ROOT_CONTEXT).end();
      // A request's trace context arrived, sampled: the work under it is traced.
      const sampled = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
      context.with(sampled, () => tracer.startSpan('requested tick').end());
      await sut.flush();
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['requested tick']);
    } finally {
      await sut.shutdown();
    }
  });

  it('records a thrown error on the span and rethrows it', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = startTelemetry({ serviceName: 'errors', exporter });
    try {
      await expect(withSpan('fails', () => Promise.reject(new Error('nope')))).rejects.toThrow(
        'nope',
      );
      await sut.flush();
      const [span] = exporter.getFinishedSpans();
      expect(span.status).toMatchObject({ code: 2, message: 'nope' });
      expect(span.events.map((e) => e.name)).toEqual(['exception']);
    } finally {
      await sut.shutdown();
    }
  });

  it('exports over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const requests: Array<{ method?: string; url?: string; body: string }> = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const { port } = collector.address() as AddressInfo;
    try {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE], {
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
        stdio: 'inherit',
      });
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(requests).toEqual([
        { method: 'POST', url: '/v1/traces', body: expect.stringContaining('exported') },
      ]);
    } finally {
      collector.close();
    }
  });
});
