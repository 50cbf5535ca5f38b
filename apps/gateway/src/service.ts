import {
  createHttpService,
  type HttpServiceOptions,
  httpServiceOptions,
} from '@canopy/service-kit';
import type { Logger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayConfig } from './config';
import { installAuth } from './auth/auth-hooks';
import { GatewayModule } from './gateway.module';
import { registerMcpRoute } from './mcp/mcp-route';
import { setupOpenApi } from './openapi/openapi';
import { registerStudio } from './studio/studio-static';
import { registerWebSocketPlugin, registerWebSocketRoute } from './streams/websocket-route';

/**
 * NATS, and Redis for API keys and rate-limit counters; plus what lives on Fastify directly: the
 * auth hooks (first, so they cover every route), OpenAPI, the WebSockets, the MCP endpoint,
 * Studio's static files (/studio).
 */
export function gatewayServiceOptions(config: GatewayConfig, logger?: Logger): HttpServiceOptions {
  return httpServiceOptions(config, {
    nats: true,
    redis: true,
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    // Served by GatewayMetricsController, behind auth.
    serveMetrics: false,
    configure: async (app) => {
      await registerWebSocketPlugin(app);
      await installAuth(app);
      setupOpenApi(app);
      await registerWebSocketRoute(app);
      registerMcpRoute(app);
      await registerStudio(app.getHttpAdapter().getInstance(), config.STUDIO_DIR);
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
