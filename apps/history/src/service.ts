import {
  createHttpService,
  type HttpServiceOptions,
  httpServiceOptions,
} from '@canopy/service-kit';
import type { Logger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HistoryConfig } from './config';
import { HistoryModule } from './history.module';

/** How history runs as an HTTP service (only /healthz and /readyz) with NATS and Redis. */
export function historyServiceOptions(config: HistoryConfig, logger?: Logger): HttpServiceOptions {
  return httpServiceOptions(config, { nats: true, redis: true, logger });
}

/** The initialised history service, consuming and answering, HTTP not listening (tests call this). */
export function createHistory(
  config: HistoryConfig,
  logger?: Logger,
): Promise<NestFastifyApplication> {
  return createHttpService(HistoryModule.forRoot(config), historyServiceOptions(config, logger));
}
