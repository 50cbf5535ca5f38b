import { randomBytes } from 'node:crypto';
import {
  actionWorkerPermissions,
  NATS_SERVICES,
  NatsPermissionsOf,
  type NatsService,
  REDIS_SERVICES,
  type RedisService,
  RedisKeyPatternsOf,
  redisAclRules,
  renderNatsAuthorization,
} from '@canopy/contracts';

export interface Credentials {
  user: string;
  password: string;
}

/**
 * Generated NATS users and Redis ACL users for one test infra, from libs/contracts'
 * broker-access declarations (the same ones `npm start` and deploy/ use): one per service, one per
 * action worker. The tests' own clients keep full access: NATS' `no_auth_user` is an
 * administrator and Redis' `default` user is left as it is.
 */
export interface BrokerUsers {
  nats: Record<NatsService, Credentials>;
  redis: Record<RedisService, Credentials>;
  /** Action worker users by name, each allowed only its actions. */
  workers: Record<string, Credentials & { actions: string[] }>;
}

/** The NATS user a client without credentials becomes (the test's own, unrestricted). */
export const TEST_ADMIN_USER = 'test-admin';

const secret = () => randomBytes(16).toString('hex');

export function makeBrokerUsers(workers: Record<string, string[]> = {}): BrokerUsers {
  const forEach = <K extends string>(names: readonly K[]): Record<K, Credentials> =>
    Object.fromEntries(
      names.map((user): [string, Credentials] => [user, { user, password: secret() }]),
    ) as Record<K, Credentials>;
  return {
    nats: forEach(NATS_SERVICES),
    redis: forEach(REDIS_SERVICES),
    workers: Object.fromEntries(
      Object.entries(workers).map(([user, actions]) => [
        user,
        { user, password: secret(), actions },
      ]),
    ),
  };
}

/** nats-server's configuration: the users with their permissions, plus the test administrator. */
export function natsAuthorizationOf(users: BrokerUsers): string {
  const quote = JSON.stringify;
  return renderNatsAuthorization(
    [
      { user: TEST_ADMIN_USER, password: quote(secret()) },
      ...NATS_SERVICES.map((service) => ({
        user: users.nats[service].user,
        password: quote(users.nats[service].password),
        permissions: NatsPermissionsOf[service],
      })),
      ...Object.values(users.workers).map((worker) => ({
        user: worker.user,
        password: quote(worker.password),
        permissions: actionWorkerPermissions(worker.actions),
      })),
    ],
    TEST_ADMIN_USER,
  );
}

/** redis-server's ACL rules for the service users (the `default` user stays unrestricted). */
export function redisAclOf(users: BrokerUsers): string[][] {
  return redisAclRules(
    REDIS_SERVICES.map((service) => ({
      ...users.redis[service],
      keys: RedisKeyPatternsOf[service],
    })),
  );
}

/** The variables that make `service` log in as its own users. */
export function credentialsEnv(users: BrokerUsers, service: NatsService): Record<string, string> {
  const nats = users.nats[service];
  const redis = (REDIS_SERVICES as readonly string[]).includes(service)
    ? users.redis[service as RedisService]
    : undefined;
  return {
    NATS_USER: nats.user,
    NATS_PASSWORD: nats.password,
    ...(redis ? { REDIS_USERNAME: redis.user, REDIS_PASSWORD: redis.password } : {}),
  };
}
