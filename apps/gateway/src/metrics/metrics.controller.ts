import { METRICS, type Metrics } from '@canopy/service-kit';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access } from '../auth/access';
import { StreamHub } from '../streams/stream-hub';

/**
 * `GET /metrics` of the gateway, which faces users: behind auth (a `viewer` key without teams,
 * as the numbers cover every team), unlike the internal services' open /metrics. Not in the
 * OpenAPI document: it is Prometheus text for scrapers, not the API.
 */
@Controller()
export class GatewayMetricsController {
  constructor(
    @Inject(METRICS) private readonly metrics: Metrics,
    hub: StreamHub,
  ) {
    metrics.gauge('canopy_gateway_stream_clients', 'Open WebSocket and SSE streams.', () =>
      Object.values(hub.watched()).reduce((sum, n) => sum + n, 0),
    );
  }

  @Get('metrics')
  @Access('viewer', { unrestricted: true })
  @ApiExcludeEndpoint()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', this.metrics.contentType).send(await this.metrics.render());
  }
}
