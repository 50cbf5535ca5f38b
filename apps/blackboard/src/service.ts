import { createLogger } from '@canopy/telemetry';
import { type HttpServiceOptions } from '@canopy/service-kit';
import { BlackboardModule } from './blackboard.module';
import type { BlackboardConfig } from './config';

export { BlackboardModule };

/** How the blackboard runs as an HTTP service (only /healthz and /readyz) with NATS and Redis. */
export function blackboardServiceOptions(config: BlackboardConfig): HttpServiceOptions {
  return {
    serviceName: config.SERVICE_NAME,
    port: config.PORT,
    nats: { url: config.NATS_URL },
    redis: { url: config.REDIS_URL },
    logger: createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL }),
  };
}
