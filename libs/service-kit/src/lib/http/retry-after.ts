import type { FastifyInstance } from 'fastify';

/** RETRY_AFTER_SECONDS' default (commonEnv). */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Every 503 a service sends says when to come back, whoever produced it: an AppError through the
 * exception filter, /readyz, a route outside Nest (the gateway's WebSocket upgrade). A route that
 * set its own `Retry-After` keeps it.
 */
export function installRetryAfter(fastify: FastifyInstance, seconds: number): void {
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) {
      void reply.header('retry-after', String(seconds));
    }
    done(null, payload);
  });
}
