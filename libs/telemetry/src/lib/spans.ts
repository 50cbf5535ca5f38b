import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

export const TRACER_NAME = '@canopy/telemetry';

export interface WithSpanOptions {
  attributes?: Attributes;
  /** E.g. a tick's root span links to the trigger that caused it. */
  links?: Link[];
  kind?: SpanKind;
  /** Parent context; defaults to the active one. Use `contextFromHeaders(msg.headers)` for messages. */
  parent?: Context;
  /** Start a new trace even if a span is active. */
  root?: boolean;
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles. A thrown error is recorded on
 * the span, which is marked ERROR, and rethrown.
 */
export async function withSpan<T>(
  name: string,
  fn: (span: Span) => T | Promise<T>,
  opts: WithSpanOptions = {},
): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const parent = opts.parent ?? context.active();
  const span = tracer.startSpan(
    name,
    {
      attributes: opts.attributes,
      links: opts.links,
      kind: opts.kind ?? SpanKind.INTERNAL,
      root: opts.root,
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}

export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
