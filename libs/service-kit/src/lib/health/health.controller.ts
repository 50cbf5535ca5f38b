import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthRegistry } from './health-registry';

@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  /** Liveness: the process serves HTTP. No dependency checks, so an outage never restarts us. */
  @Get('healthz')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency answered within the timeout. 503 names the failing checks. */
  @Get('readyz')
  async readiness(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.registry.run();
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }
}
