import { loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import {
  authHeaders,
  GATEWAY_AUTH_ENV,
  type NatsHandle,
  type RedisHandle,
  type ServiceProcess,
  startNats,
  startRedis,
  startService,
} from '@canopy/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatewayConfigSchema } from '../src/config';
import { createGateway } from '../src/service';

/** Log level of the services the harness starts as processes (their logs go to temp files). */
export const SERVICE_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';

export interface Harness {
  nats: NatsHandle;
  redis: RedisHandle;
  /** The real blackboard service, as its own process; `close()` stops it (SIGTERM). */
  blackboard: ServiceProcess & { close(): Promise<void> };
  /** The gateway under test, in this process. Replaceable, so a test can restart the gateway. */
  gateway: NestFastifyApplication;
  dispose(): Promise<void>;
}

/** Real NATS, Redis and blackboard service, no runner: owner and runner routes have nobody to answer. */
export async function startHarness(gatewayEnv: Record<string, string> = {}): Promise<Harness> {
  const [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const env = { NATS_URL: nats.url, REDIS_URL: redis.url };
  const service = await startService('blackboard', {
    env: { ...env, LOG_LEVEL: SERVICE_LOG_LEVEL },
  });
  const blackboard = Object.assign(service, { close: async () => void (await service.stop()) });
  const gateway = await createTestGateway({ ...env, ...gatewayEnv });
  const harness: Harness = {
    nats,
    redis,
    blackboard,
    gateway,
    dispose: async () => {
      await harness.gateway.close();
      await blackboard.dispose();
      await Promise.all([nats.dispose(), redis.dispose()]);
    },
  };
  return harness;
}

/**
 * The gateway in this process with auth on: it accepts TEST_ADMIN_KEY, and `inject()` sends that
 * key unless the request sets its own `authorization` or `x-api-key` (auth tests send other
 * credentials or none: `headers: { authorization: '' }` sends none).
 */
export async function createTestGateway(
  env: Record<string, string>,
  loggerName = 'gateway-spec',
): Promise<NestFastifyApplication> {
  const gateway = await createGateway(
    loadConfig(GatewayConfigSchema, {
      PORT: '0',
      LOG_LEVEL: 'silent',
      ...GATEWAY_AUTH_ENV,
      ...env,
    }),
    createLogger(loggerName, { level: 'silent' }),
  );
  const inject = gateway.inject.bind(gateway);
  const withKey = (opts: InjectOptions): InjectOptions => {
    if (typeof opts !== 'object') return { url: opts, headers: authHeaders() };
    const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
    if (!('authorization' in headers) && !('x-api-key' in headers))
      Object.assign(headers, authHeaders());
    if (headers.authorization === '') delete headers.authorization;
    return { ...opts, headers };
  };
  const injectWithKey = (opts: InjectOptions) => inject(withKey(opts));
  // Nest's app is itself a Proxy that refuses new properties: wrap it instead.
  return new Proxy(gateway, {
    get: (target, prop, receiver) =>
      prop === 'inject' ? injectWithKey : Reflect.get(target, prop, receiver),
  });
}

type InjectOptions = Exclude<Parameters<NestFastifyApplication['inject']>[0], undefined>;
