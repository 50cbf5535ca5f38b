import { type BrokerUsers, makeBrokerUsers, natsAuthorizationOf, redisAclOf } from './broker-users';
import { type NatsHandle, type NatsServerOptions, startNats } from './nats-server';
import { type RedisHandle, type RedisServerOptions, startRedis } from './redis-server';

export interface TestInfra {
  nats: NatsHandle;
  redis: RedisHandle;
  /** The variables a service reads; a Jest globalSetup can `Object.assign(process.env, infra.env)`. */
  env: { NATS_URL: string; REDIS_URL: string };
  /**
   * With `users`: each service's (and action worker's) NATS user and Redis ACL user. The URLs in
   * `env` stay the tests' own unrestricted access.
   */
  users?: BrokerUsers;
  /** Disposes both servers and their data. */
  dispose(): Promise<void>;
}

export interface TestInfraOptions {
  nats?: NatsServerOptions;
  redis?: RedisServerOptions;
  /**
   * Start the servers with the per-service users and permissions of libs/contracts
   * (broker-access.ts); `{ workers: { name: [actions] } }` adds action worker users.
   */
  users?: boolean | { workers?: Record<string, string[]> };
}

/** Starts NATS (JetStream) and Redis side by side. */
export async function startTestInfra(opts: TestInfraOptions = {}): Promise<TestInfra> {
  const users = opts.users
    ? makeBrokerUsers(opts.users === true ? {} : opts.users.workers)
    : undefined;
  const [nats, redis] = await Promise.allSettled([
    startNats(users ? { ...opts.nats, config: natsAuthorizationOf(users) } : opts.nats),
    startRedis(users ? { ...opts.redis, acl: redisAclOf(users) } : opts.redis),
  ]);
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
    users,
    dispose: async () => {
      await Promise.all([nats.value.dispose(), redis.value.dispose()]);
    },
  };
}
