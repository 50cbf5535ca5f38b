// The gateway's tests run the real blackboard service next to it (an app importing an app is
// allowed here only: this is test wiring, not a runtime dependency).
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  BlackboardConfigSchema,
  BlackboardModule,
  blackboardServiceOptions,
} from '@canopy/blackboard';
import { createHttpService, loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { type NatsHandle, type RedisHandle, startNats, startRedis } from '@canopy/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatewayConfigSchema } from '../src/config';
import { createGateway } from '../src/service';

export interface Harness {
  nats: NatsHandle;
  redis: RedisHandle;
  blackboard: NestFastifyApplication;
  /** Replaceable, so a test can restart the gateway. */
  gateway: NestFastifyApplication;
  dispose(): Promise<void>;
}

/** Real NATS, Redis and blackboard service, no runner: owner and runner routes have nobody to answer. */
export async function startHarness(gatewayEnv: Record<string, string> = {}): Promise<Harness> {
  const [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const env = { NATS_URL: nats.url, REDIS_URL: redis.url, PORT: '0', LOG_LEVEL: 'silent' };
  const blackboard = await createHttpService(
    BlackboardModule,
    blackboardServiceOptions(loadConfig(BlackboardConfigSchema, env)),
  );
  const gateway = await createGateway(
    loadConfig(GatewayConfigSchema, { ...env, ...gatewayEnv }),
    createLogger('gateway-spec', { level: 'silent' }),
  );
  const harness: Harness = {
    nats,
    redis,
    blackboard,
    gateway,
    dispose: async () => {
      await harness.gateway.close();
      await blackboard.close();
      await Promise.all([nats.dispose(), redis.dispose()]);
    },
  };
  return harness;
}
