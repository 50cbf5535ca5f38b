import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type ReceivedSpanKind =
  'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

/** A span as a service exported it over OTLP/HTTP, with its attributes as plain values. */
export interface ReceivedSpan {
  /** The exporting process's `service.name`. */
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  kind: ReceivedSpanKind;
  attributes: Record<string, unknown>;
}

// OTLP's enum (the API's SpanKind is shifted by one: it has no UNSPECIFIED).
const KINDS: ReceivedSpanKind[] = [
  'UNSPECIFIED',
  'INTERNAL',
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
];

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value?: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpAttribute[];
}
interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

/**
 * An OTLP/HTTP trace collector in the test process: services started with
 * `OTEL_EXPORTER_OTLP_ENDPOINT=<receiver.endpoint>` export their spans here (JSON, the
 * `@opentelemetry/exporter-trace-otlp-http` encoding), so a test follows one trace across
 * processes. `await receiver.span(...)` resolves once a matching span has arrived: no sleeping.
 */
export class OtlpTraceReceiver {
  readonly spans: ReceivedSpan[] = [];
  private waiters: Array<{
    match: (s: ReceivedSpan) => boolean;
    resolve: (s: ReceivedSpan) => void;
  }> = [];

  private readonly server: Server;
  private port = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      void readBody(req).then(
        (body) => {
          if (req.method !== 'POST' || req.url !== '/v1/traces') {
            res.writeHead(404).end();
            return;
          }
          if (!String(req.headers['content-type'] ?? '').includes('json')) {
            res.writeHead(415).end();
            return;
          }
          this.accept(JSON.parse(body.toString('utf8')) as OtlpTraces);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        },
        () => res.writeHead(400).end(),
      );
    });
    this.server.unref();
  }

  /** Listens on a free loopback port. */
  static async start(): Promise<OtlpTraceReceiver> {
    const receiver = new OtlpTraceReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  /** The base URL to give services as OTEL_EXPORTER_OTLP_ENDPOINT. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The first span (received so far or later) that `match`es; rejects after `timeoutMs`. */
  span(
    what: string,
    match: (s: ReceivedSpan) => boolean,
    timeoutMs = 30_000,
  ): Promise<ReceivedSpan> {
    const found = this.spans.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (s: ReceivedSpan) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no span ${what} within ${timeoutMs} ms (received: ${this.spans.map((s) => s.name).join(', ')})`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The span called `name` in trace `traceId`. */
  spanOf(traceId: string, name: string, timeoutMs?: number): Promise<ReceivedSpan> {
    return this.span(
      `${name} in trace ${traceId}`,
      (s) => s.traceId === traceId && s.name === name,
      timeoutMs,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(traces: OtlpTraces): void {
    for (const rs of traces.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) this.add(toSpan(service, span));
      }
    }
  }

  private add(span: ReceivedSpan): void {
    this.spans.push(span);
    const ready = this.waiters.filter((w) => w.match(span));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.resolve(span));
  }
}

function toSpan(service: string, span: OtlpSpan): ReceivedSpan {
  return {
    service,
    name: span.name,
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    kind: KINDS[span.kind ?? 0] ?? 'UNSPECIFIED',
    attributes: attributesOf(span.attributes),
  };
}

function attributesOf(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
}

function valueOf(v: OtlpValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('error', reject);
    req.once('end', () => {
      try {
        const body = Buffer.concat(chunks);
        resolve(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
      } catch (error) {
        reject(error);
      }
    });
  });
}
