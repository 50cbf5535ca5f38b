import { createHttpService, type HttpServiceOptions } from '@canopy/service-kit';
import { createLogger, type Logger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayConfig } from './config';
import { gatewayAppModule } from './gateway.module';
import { setupOpenApi } from './openapi/openapi';
import { registerWebSocketRoute } from './streams/websocket-route';

function serviceOptions(config: GatewayConfig, logger?: Logger): HttpServiceOptions {
  return {
    serviceName: config.SERVICE_NAME,
    port: config.PORT,
    nats: { url: config.NATS_URL },
    // The gateway keeps no state in Redis; it is connected so /readyz reports the stack's health.
    redis: { url: config.REDIS_URL },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    logger: logger ?? createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL }),
  };
}

/** The initialised gateway with its OpenAPI routes, not yet listening (tests call this). */
export async function createGateway(
  config: GatewayConfig,
  logger?: Logger,
): Promise<NestFastifyApplication> {
  const app = await createHttpService(gatewayAppModule(config), serviceOptions(config, logger));
  setupOpenApi(app);
  await registerWebSocketRoute(app);
  return app;
}
