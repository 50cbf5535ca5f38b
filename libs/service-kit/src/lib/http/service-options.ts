import { createLogger, type Logger } from '@canopy/telemetry';
import type { CommonConfig } from '../config/env-vars';
import type { HttpServiceOptions } from './bootstrap';

type Extras = Omit<
  HttpServiceOptions,
  | 'serviceName'
  | 'port'
  | 'host'
  | 'nats'
  | 'redis'
  | 'logger'
  | 'retryAfterSeconds'
  | 'shutdownTimeoutMs'
  | 'jsonMaxDepth'
>;

/**
 * The one mapping from a service's validated config to the kit's options: name, address, the
 * connections it uses (with their credentials), logger, Retry-After and the shutdown deadline.
 *
 * ```ts
 * httpServiceOptions(config, { nats: true, redis: true })
 * ```
 */
export function httpServiceOptions(
  config: CommonConfig & { PORT: number },
  opts: Extras & { nats?: boolean; redis?: boolean; logger?: Logger } = {},
): HttpServiceOptions {
  const { nats, redis, logger, ...extras } = opts;
  return {
    ...extras,
    serviceName: config.SERVICE_NAME,
    port: config.PORT,
    host: config.HOST,
    ...(nats
      ? {
          nats: {
            url: config.NATS_URL,
            user: config.NATS_USER,
            password: config.NATS_PASSWORD,
            jsonMaxDepth: config.JSON_MAX_DEPTH,
          },
        }
      : {}),
    ...(redis
      ? {
          redis: {
            url: config.REDIS_URL,
            username: config.REDIS_USERNAME,
            password: config.REDIS_PASSWORD,
          },
        }
      : {}),
    logger: logger ?? createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL }),
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    jsonMaxDepth: config.JSON_MAX_DEPTH,
  };
}
