import { context, propagation, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** Defaults to npm_package_version, then 0.0.0. */
  serviceVersion?: string;
  /** Spans go here, one by one, instead of OTLP. For tests: an InMemorySpanExporter. */
  exporter?: SpanExporter;
  /** OTLP/HTTP base URL (the collector's :4318). Defaults to OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpEndpoint?: string;
  /**
   * Share of root spans (no parent: the tick runner's scheduled ticks) sampled; a span with a
   * parent follows the parent's decision (a REST request's work is always traced when the request
   * is). Unset: every span. OTEL_TRACES_SAMPLER, when set, decides instead (the standard variables).
   */
  rootSampleRatio?: number;
}

export interface Telemetry {
  /** Resolves once every ended span has reached the exporter (export waits on resource detection). */
  flush(): Promise<void>;
  /**
   * Releases this handle. The SDK flushes and unregisters when the last handle is released, so a
   * later `startTelemetry` starts afresh.
   */
  shutdown(): Promise<void>;
}

interface Running {
  sdk: NodeSDK;
  processor: SpanProcessor;
  handles: number;
}

let running: Running | undefined;

/**
 * Starts OpenTelemetry tracing for this process: W3C trace context, spans we create ourselves (no
 * auto-instrumentation). Spans always get ids, so logs carry trace ids even when nothing exports.
 *
 * OTel globals can be registered once per process, so a call while tracing runs joins it (its
 * options are ignored) and gets its own handle. A test that starts telemetry with an in-memory
 * exporter and then creates and closes several services keeps tracing until it shuts down too.
 */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  const state = (running ??= start(opts));
  state.handles += 1;
  let released = false;
  return {
    flush: () => state.processor.forceFlush(),
    shutdown: async () => {
      if (released) return;
      released = true;
      state.handles -= 1;
      if (state.handles > 0 || running !== state) return;
      running = undefined;
      await state.sdk.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

function start(opts: TelemetryOptions): Running {
  const processor = spanProcessorFor(opts);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      [ATTR_SERVICE_VERSION]: opts.serviceVersion ?? process.env.npm_package_version ?? '0.0.0',
    }),
    spanProcessors: [processor],
    ...(opts.rootSampleRatio === undefined || process.env.OTEL_TRACES_SAMPLER
      ? {}
      : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.rootSampleRatio) }) }),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations: [],
    // Tracing only: empty lists stop the SDK from setting up OTLP metrics and logs from env.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { sdk, processor, handles: 0 };
}

function spanProcessorFor(opts: TelemetryOptions): SpanProcessor {
  if (opts.exporter) return new SimpleSpanProcessor(opts.exporter);
  const endpoint = opts.otlpEndpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint) {
    const url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
    return new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  }
  // Spans are still created and sampled (trace ids in logs, propagation), just not exported.
  return new NoopSpanProcessor();
}
