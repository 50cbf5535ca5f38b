import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

type ExportResultCallback = Parameters<InMemorySpanExporter['export']>[1];

/** An in-memory exporter that lets a test await a span by name instead of sleeping. */
export class RecordingExporter extends InMemorySpanExporter {
  private waiters: Array<{ name: string; resolve: (span: ReadableSpan) => void }> = [];

  override export(spans: ReadableSpan[], done: ExportResultCallback): void {
    super.export(spans, done);
    for (const span of spans) {
      const ready = this.waiters.filter((w) => w.name === span.name);
      this.waiters = this.waiters.filter((w) => w.name !== span.name);
      ready.forEach((w) => w.resolve(span));
    }
  }

  /** Resolves with the first ended span called `name` (already exported or yet to come). */
  span(name: string): Promise<ReadableSpan> {
    const done = this.getFinishedSpans().find((s) => s.name === name);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ name, resolve }));
  }
}
