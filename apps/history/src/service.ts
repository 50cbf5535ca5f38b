import { createHttpService, type HttpServiceOptions } from '@canopy/service-kit';
import { createLogger, type Logger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HistoryConfig } from './config';
import { historyAppModule } from './history.module';

export function historyServiceOptions(config: HistoryConfig, logger?: Logger): HttpServiceOptions {
  return {
    serviceName: config.SERVICE_NAME,
    port: config.PORT,
    nats: { url: config.NATS_URL },
    redis: { url: config.REDIS_URL },
    logger: logger ?? createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL }),
  };
}

/** The initialised history service, consuming and answering, HTTP (/healthz, /readyz) not listening. */
export function createHistory(
  config: HistoryConfig,
  logger?: Logger,
): Promise<NestFastifyApplication> {
  return createHttpService(historyAppModule(config), historyServiceOptions(config, logger));
}
