import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

const TRACER = '@canopy/service-kit';

// Probes and scrapers call these every few seconds: a span and a log line each would be noise.
const QUIET_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One SERVER span per request, continuing the caller's `traceparent`, plus one log line per
 * request, except for health probes and metrics scrapes.
 */
export function installRequestHooks(fastify: FastifyInstance, logger: Logger): void {
  const spans = new WeakMap<FastifyRequest, Span>();

  fastify.addHook('onRequest', (req, reply, done) => {
    if (QUIET_PATHS.has(pathOf(req.url))) return done();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = req.routeOptions.url;
    const span = trace.getTracer(TRACER).startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': pathOf(req.url),
          ...(route ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    spans.set(req, span);
    void reply.header('x-trace-id', span.spanContext().traceId);
    done();
  });

  // Body parsing loses the async context of onRequest; this runs right before the handler chain
  // (guards, pipes, interceptors, controller), so everything it starts sees the request's span.
  fastify.addHook('preHandler', (req, _reply, done) => {
    const span = spans.get(req);
    if (!span) return done();
    context.with(trace.setSpan(ROOT_CONTEXT, span), done);
  });

  fastify.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (!span) return done();
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
      logger.info(
        {
          method: req.method,
          url: withoutTokens(req.url),
          statusCode: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime),
        },
        'request completed',
      ),
    );
    span.end();
    done();
  });
}

// A browser's WebSocket or EventSource can only send its token in the URL (the gateway's
// `access_token`): it must not reach the log.
const TOKEN_IN_QUERY = /([?&]access_token=)[^&#]*/gi;

function withoutTokens(url: string): string {
  return url.replace(TOKEN_IN_QUERY, '$1[REDACTED]');
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
