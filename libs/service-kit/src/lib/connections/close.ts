import type { TracedNats } from '@canopy/telemetry';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { settlesWithin } from '../shutdown/shutdown-deadline';

/** A last step (closing a socket) gets this long even when the deadline is spent. */
export const MIN_STEP_MS = 250;

/**
 * Drains NATS (handlers in flight finish and reply, publishes are flushed) for at most `ms`, then
 * closes the connection whatever the drain did: with the server away a drain never completes, and
 * a connection left open keeps reconnecting.
 */
export async function closeNats(nats: TracedNats, ms: number, logger: Logger): Promise<void> {
  const drained = nats
    .drain()
    .catch((error: unknown) => logger.warn({ err: error }, 'NATS drain failed'));
  if (!(await settlesWithin(drained, ms)))
    logger.warn({ ms }, 'NATS drain did not finish; closing');
  const nc = nats.connection;
  if (!nc.isClosed()) await settlesWithin(nc.close(), MIN_STEP_MS);
}

/**
 * QUIT for at most `ms` (Redis answers pending replies first), else drop the socket. While the link
 * is down QUIT cannot be sent, and ioredis would never emit `end` for it: disconnect at once.
 */
export async function closeRedis(redis: Redis, ms: number, logger: Logger): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    const quit = redis.quit().then(() => ended);
    if (await settlesWithin(quit, ms)) return;
    logger.warn({ ms }, 'Redis QUIT did not finish; disconnecting');
  }
  // Stops the reconnect timer too, so nothing of the client outlives the app.
  redis.disconnect();
}
