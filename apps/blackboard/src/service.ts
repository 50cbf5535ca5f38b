import {
  createHttpService,
  type HttpServiceOptions,
  httpServiceOptions,
} from '@canopy/service-kit';
import type { Logger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BlackboardModule } from './blackboard.module';
import type { BlackboardConfig } from './config';

export { BlackboardModule };

/** How the blackboard runs as an HTTP service (only /healthz and /readyz) with NATS and Redis. */
export function blackboardServiceOptions(
  config: BlackboardConfig,
  logger?: Logger,
): HttpServiceOptions {
  return httpServiceOptions(config, { nats: true, redis: true, logger });
}

/** The initialised blackboard service, answering on NATS, HTTP not listening (tests call this). */
export function createBlackboard(
  config: BlackboardConfig,
  logger?: Logger,
): Promise<NestFastifyApplication> {
  return createHttpService(
    BlackboardModule.forRoot(config),
    blackboardServiceOptions(config, logger),
  );
}
