import Redis from 'ioredis';
import type { Logger } from 'pino';

/** Where Redis is and who this service is there. */
export interface RedisEndpoint {
  url: string;
  /**
   * This service's ACL user (REDIS_USERNAME/REDIS_PASSWORD); they win over any in the URL.
   * Unset: Redis' `default` user, as against a Redis without ACLs.
   */
  username?: string;
  password?: string;
}

export interface RedisConnectOptions extends RedisEndpoint {
  /** Client name (CLIENT SETNAME), shown by CLIENT LIST. */
  name: string;
  logger: Logger;
  /** How long the first connection may take before boot fails. Default 5 s. */
  connectTimeoutMs?: number;
}

/**
 * Connects to Redis and resolves once the client is ready. The options choose failing fast over
 * queueing and replaying:
 * - `enableOfflineQueue: false`: while disconnected a command fails at once instead of waiting
 *   in memory, so requests answer 503 promptly and /readyz sees the outage on its first PING.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight
 *   when the link drops fails rather than being re-sent after reconnect. A write may already have
 *   been applied; replaying it (a CAS, a tick commit) could apply it twice. Callers decide.
 * - `retryStrategy`: reconnect forever, backing off to 2 s, so a Redis restart heals by itself.
 */
export async function connectRedis(opts: RedisConnectOptions): Promise<Redis> {
  const connectTimeout = opts.connectTimeoutMs ?? 5000;
  const redis = new Redis(opts.url, {
    connectionName: opts.name,
    ...(opts.username === undefined ? {} : { username: opts.username }),
    ...(opts.password === undefined ? {} : { password: opts.password }),
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  logTransitions(redis, opts.logger);
  try {
    await whenReady(redis, connectTimeout);
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis at ${redactUrl(opts.url)} is not reachable: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  opts.logger.info({ url: redactUrl(opts.url) }, 'connected to Redis');
  return redis;
}

/**
 * A second connection to the same Redis with the same options, named `<name>`. Commands on one
 * connection are answered in order, so time-critical ones (lease renewals) get their own rather
 * than waiting behind a long queue of writes. It connects in the background: await
 * `redisReady` before relying on it. Close it with the owner of the first.
 */
export function duplicateRedis(redis: Redis, name: string, logger: TransitionLog): Redis {
  const second = redis.duplicate({ connectionName: name });
  logTransitions(second, logger);
  return second;
}

/** Resolves once `redis` is ready (at once if it is), or rejects after `timeoutMs`. */
export function redisReady(redis: Redis, timeoutMs = 5000): Promise<void> {
  return redis.status === 'ready' ? Promise.resolve() : whenReady(redis, timeoutMs);
}

function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError: unknown = new Error(`no answer within ${timeoutMs} ms`);
    const onError = (error: unknown): void => {
      lastError = error;
    };
    const timer = setTimeout(() => finish(lastError), timeoutMs);
    const onReady = (): void => finish(undefined);
    function finish(error: unknown): void {
      clearTimeout(timer);
      redis.off('ready', onReady).off('error', onError);
      if (error === undefined) resolve();
      else reject(error);
    }
    redis.once('ready', onReady).on('error', onError);
  });
}

/** What logging connection transitions needs (a pino logger has it). */
interface TransitionLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** One line per outage, not one per reconnect attempt. */
function logTransitions(redis: Redis, logger: TransitionLog): void {
  let down = false;
  redis.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, 'Redis connection lost');
  });
  redis.on('ready', () => {
    if (down) logger.info({}, 'Redis reconnected');
    down = false;
  });
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
