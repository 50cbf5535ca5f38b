import {
  createHttpService,
  type HttpServiceOptions,
  httpServiceOptions,
} from '@canopy/service-kit';
import type { Logger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayConfig } from './config';
import { GatewayModule } from './gateway.module';
import { setupOpenApi } from './openapi/openapi';
import { registerWebSocketRoute } from './streams/websocket-route';

/** NATS only (the gateway keeps no state), plus what lives on Fastify directly: OpenAPI, /ws. */
export function gatewayServiceOptions(config: GatewayConfig, logger?: Logger): HttpServiceOptions {
  return httpServiceOptions(config, {
    nats: true,
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    configure: async (app) => {
      setupOpenApi(app);
      await registerWebSocketRoute(app);
    },
  });
}

/** The initialised gateway, not yet listening (tests call this). */
export function createGateway(
  config: GatewayConfig,
  logger?: Logger,
): Promise<NestFastifyApplication> {
  return createHttpService(GatewayModule.forRoot(config), gatewayServiceOptions(config, logger));
}
