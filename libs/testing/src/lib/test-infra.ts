import { type NatsHandle, type NatsServerOptions, startNats } from './nats-server';
import { type RedisHandle, type RedisServerOptions, startRedis } from './redis-server';

export interface TestInfra {
  nats: NatsHandle;
  redis: RedisHandle;
  /** The variables a service reads; a Jest globalSetup can `Object.assign(process.env, infra.env)`. */
  env: { NATS_URL: string; REDIS_URL: string };
  /** Disposes both servers and their data. */
  dispose(): Promise<void>;
}

/** Starts NATS (JetStream) and Redis side by side. */
export async function startTestInfra(
  opts: { nats?: NatsServerOptions; redis?: RedisServerOptions } = {},
): Promise<TestInfra> {
  const [nats, redis] = await Promise.allSettled([startNats(opts.nats), startRedis(opts.redis)]);
  if (nats.status !== 'fulfilled' || redis.status !== 'fulfilled') {
    // Do not leave the one that did start running.
    await Promise.all(
      [nats, redis].map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)),
    );
    throw [nats, redis].find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
  return {
    nats: nats.value,
    redis: redis.value,
    env: { NATS_URL: nats.value.url, REDIS_URL: redis.value.url },
    dispose: async () => {
      await Promise.all([nats.value.dispose(), redis.value.dispose()]);
    },
  };
}
