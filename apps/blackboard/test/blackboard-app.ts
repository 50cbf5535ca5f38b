import { loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BlackboardConfigSchema } from '../src/config';
import { createBlackboard } from '../src/service';

/** The real blackboard service, in-process, on the given NATS and Redis (HTTP not listening). */
export function startBlackboard(
  natsUrl: string,
  redisUrl: string,
): Promise<NestFastifyApplication> {
  return createBlackboard(
    loadConfig(BlackboardConfigSchema, { NATS_URL: natsUrl, REDIS_URL: redisUrl, PORT: '0' }),
    createLogger('blackboard-spec', { level: 'silent' }),
  );
}
