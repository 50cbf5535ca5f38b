import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

type ExportCallback = Parameters<InMemorySpanExporter['export']>[1];

/**
 * An in-memory span exporter a test can await: `await exporter.span('GET /trees')` resolves
 * once that span has ended and been exported, so no test sleeps waiting for spans. Pass it as
 * `startTelemetry({ exporter })`.
 */
export class RecordingSpanExporter extends InMemorySpanExporter {
  private waiters: Array<{ name: string; resolve: (span: ReadableSpan) => void }> = [];

  override export(spans: ReadableSpan[], done: ExportCallback): void {
    super.export(spans, done);
    for (const span of spans) {
      const ready = this.waiters.filter((w) => w.name === span.name);
      this.waiters = this.waiters.filter((w) => w.name !== span.name);
      ready.forEach((w) => w.resolve(span));
    }
  }

  /** The first exported span called `name`, now or when it arrives. */
  span(name: string): Promise<ReadableSpan> {
    const done = this.getFinishedSpans().find((s) => s.name === name);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ name, resolve }));
  }
}
