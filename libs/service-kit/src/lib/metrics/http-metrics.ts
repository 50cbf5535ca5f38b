import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics';

/** Probes and scrapes are not traffic. */
const UNMEASURED: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Observes every request's duration by method, route template (never the raw URL: ids would
 * make a series per execution) and status. A request no route matched counts as `unmatched`.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (!UNMEASURED.has(route)) {
      metrics.httpDuration.observe(
        { method: req.method, route, status: String(reply.statusCode) },
        reply.elapsedTime,
      );
    }
    done();
  });
}
