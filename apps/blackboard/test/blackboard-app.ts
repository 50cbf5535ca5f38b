import { createHttpService } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BlackboardModule } from '../src/service';

/** The real blackboard service, in-process, on the given NATS and Redis (HTTP not listening). */
export function startBlackboard(
  natsUrl: string,
  redisUrl: string,
): Promise<NestFastifyApplication> {
  return createHttpService(BlackboardModule, {
    serviceName: 'blackboard-spec',
    port: 0,
    nats: { url: natsUrl },
    redis: { url: redisUrl },
    logger: createLogger('blackboard-spec', { level: 'silent' }),
  });
}
