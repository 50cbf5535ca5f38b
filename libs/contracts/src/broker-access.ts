import { Consumers, Streams, Subjects } from './names';

/**
 * Who may do what on NATS and Redis: each service's NATS subject permissions and Redis key
 * patterns, declared once from the names in names.ts. `npm start` (scripts/brokers.mjs), the
 * servers libs/testing spawns and the files shipped in deploy/ are all rendered from here
 * (`renderNatsAuthorization`, `redisAclRules`); deploy/test checks the shipped files against it.
 * docs/security.md ("NATS and Redis") explains each line.
 */

/** The services that connect to NATS. Each is its own NATS user (named like the service). */
export const NATS_SERVICES = ['tick-runner', 'blackboard', 'history', 'gateway'] as const;
export type NatsService = (typeof NATS_SERVICES)[number];

/**
 * The services that connect to Redis. Each is its own ACL user. The gateway keeps API keys and
 * rate-limit counters there (docs/security.md, "Gateway authentication").
 */
export const REDIS_SERVICES = ['tick-runner', 'blackboard', 'history', 'gateway'] as const;
export type RedisService = (typeof REDIS_SERVICES)[number];

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /**
   * May answer requests it received (publish to their reply subjects, up to RESPONSES_MAX
   * messages within a minute each), which is how every request/reply service replies without a
   * publish right on anyone's inbox. More than one: a large reply comes in chunks and an end mark.
   */
  allowResponses: boolean;
}

/** Messages one request may be answered with: 1 GB of 1 MB chunks, and the end mark. */
export const RESPONSES_MAX = 1025;

/**
 * A user's private reply subjects: the client creates its inboxes under this prefix
 * (`inboxPrefix`), so the user subscribes to its own replies and cannot read other users'.
 */
export const inboxPrefixOf = (user: string): string => `_INBOX.${user}`;
const inboxOf = (user: string): string => `${inboxPrefixOf(user)}.>`;

/** JetStream's API subjects (nats-server checks them like any publish). */
const JsApi = {
  /** jetstreamManager() asks for the account's JetStream info first. */
  info: '$JS.API.INFO',
  streamInfo: (stream: string) => `$JS.API.STREAM.INFO.${stream}`,
  streamCreate: (stream: string) => `$JS.API.STREAM.CREATE.${stream}`,
  streamPurge: (stream: string) => `$JS.API.STREAM.PURGE.${stream}`,
  streamMsgGet: (stream: string) => `$JS.API.STREAM.MSG.GET.${stream}`,
  consumerInfo: (stream: string, consumer: string) => `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
  /** Create and update, with and without a filter subject in the name (server versions differ). */
  consumerCreate: (stream: string, consumer: string) => [
    `$JS.API.CONSUMER.CREATE.${stream}.${consumer}`,
    `$JS.API.CONSUMER.CREATE.${stream}.${consumer}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${consumer}`,
  ],
  consumerNext: (stream: string, consumer: string) =>
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
  /** Acks of a consumer's messages (their reply subjects). */
  acks: (stream: string, consumer: string) => `$JS.ACK.${stream}.${consumer}.>`,
};

/** The owner commands the gateway sends (not `load`/`unload`: those are peer commands). */
const ownerCommands = Subjects.commandsAll;
/** `load` and `unload`, which only runners send each other. */
const peerCommands = Subjects.peerCommandsAll;
const svc = (area: string) => `canopy.svc.${area}.*`;

/**
 * Each service's NATS permissions. What each line is for:
 * - tick-runner: publishes tick records and events (creates their streams, purges old events), blackboard
 *   changes its ticks made, owner and peer commands to other runners, remote action calls and
 *   their cancellations, tree registrations and membership; serves trees, executions, owner and
 *   peer commands and inbound events.
 * - blackboard: serves the blackboard requests and announces the changes it made.
 * - history: consumes CANOPY_TICKS with its durable consumer, serves the history requests, asks
 *   the runners for trees and to create forks.
 * - gateway: calls the services and sends owner commands (never `load`/`unload`), reads the last
 *   tick record, watches events; it cannot publish blackboard changes, tick records or events.
 */
export const NatsPermissionsOf: Record<NatsService, NatsPermissions> = {
  'tick-runner': {
    publish: [
      Subjects.ticksAll,
      Subjects.eventsAll,
      Subjects.bbChangedAll,
      ownerCommands,
      peerCommands,
      'canopy.action.*',
      'canopy.action-cancel.*',
      Subjects.treesRegistered,
      Subjects.runnersChanged,
      // Creating executions (the create use case asks the runners' queue, which may be itself).
      svc('exec'),
      svc('trees'),
      JsApi.info,
      ...[Streams.ticks.name, Streams.events.name].flatMap((s) => [
        JsApi.streamInfo(s),
        JsApi.streamCreate(s),
      ]),
      // Events retention purges the oldest events in bulk (delivery/events-retention.ts).
      JsApi.streamPurge(Streams.events.name),
    ],
    subscribe: [
      ownerCommands,
      peerCommands,
      Subjects.inboundAll,
      svc('exec'),
      svc('trees'),
      Subjects.bbChangedAll,
      Subjects.treesRegistered,
      Subjects.runnersChanged,
      inboxOf('tick-runner'),
    ],
    allowResponses: true,
  },
  blackboard: {
    publish: [Subjects.bbChangedAll],
    subscribe: [svc('bb'), inboxOf('blackboard')],
    allowResponses: true,
  },
  history: {
    publish: [
      Subjects.execCreate,
      Subjects.treesGet,
      Subjects.executionProgressAll,
      JsApi.info,
      JsApi.streamInfo(Streams.ticks.name),
      JsApi.consumerInfo(Streams.ticks.name, Consumers.history),
      ...JsApi.consumerCreate(Streams.ticks.name, Consumers.history),
      JsApi.consumerNext(Streams.ticks.name, Consumers.history),
      JsApi.acks(Streams.ticks.name, Consumers.history),
    ],
    subscribe: [svc('history'), inboxOf('history')],
    allowResponses: true,
  },
  gateway: {
    publish: [
      svc('trees'),
      svc('exec'),
      svc('bb'),
      svc('history'),
      ownerCommands,
      JsApi.info,
      JsApi.streamMsgGet(Streams.ticks.name),
    ],
    subscribe: [Subjects.eventsAll, inboxOf('gateway')],
    allowResponses: false,
  },
};

/**
 * An action worker's permissions (libs/sdk ActionWorker): it serves its own actions' subjects
 * (requests and cancellations) and replies to them; nothing else.
 */
export function actionWorkerPermissions(actions: readonly string[]): NatsPermissions {
  return {
    publish: [],
    subscribe: actions.flatMap((name) => [Subjects.action(name), Subjects.actionCancel(name)]),
    allowResponses: true,
  };
}

export interface NatsUser {
  user: string;
  /** Rendered as is: a quoted literal (`"…"`) or a `$VARIABLE` the server reads from its env. */
  password: string;
  /** Omitted: every subject (an administrator, e.g. the tests' own client). */
  permissions?: NatsPermissions;
}

const quote = (value: string) => JSON.stringify(value);
const list = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`;

/**
 * The nats-server `authorization { users = [...] }` block. `noAuthUser` names the user a client
 * without credentials becomes (tests only: their own client is then the administrator); without
 * it a client must log in.
 */
export function renderNatsAuthorization(users: readonly NatsUser[], noAuthUser?: string): string {
  const lines = users.map(({ user, password, permissions }) => {
    const fields = [`user: ${quote(user)}`, `password: ${password}`];
    if (permissions) {
      const perms = [
        `publish: { allow: ${list(permissions.publish)} }`,
        `subscribe: { allow: ${list(permissions.subscribe)} }`,
        ...(permissions.allowResponses ? [`allow_responses: { max: ${RESPONSES_MAX}, expires: "1m" }`] : []),
      ];
      fields.push(`permissions: {\n      ${perms.join('\n      ')}\n    }`);
    }
    return `  {\n    ${fields.join('\n    ')}\n  }`;
  });
  const noAuth = noAuthUser === undefined ? '' : `no_auth_user: ${quote(noAuthUser)}\n`;
  return `${noAuth}authorization {\n users = [\n${lines.join('\n')}\n ]\n}\n`;
}

/**
 * Each service's Redis keys (Redis ACL `~pattern`s), from RedisKeys. The runner and the
 * blackboard both write blackboard scopes (ticks write them in their commits).
 */
export const RedisKeyPatternsOf: Record<RedisService, string[]> = {
  'tick-runner': [
    'canopy:bb:*',
    'canopy:bbv:*',
    'canopy:exec:*',
    'canopy:ckpt:*',
    'canopy:outbox:*',
    'canopy:debug:*',
    'canopy:events:*',
    'canopy:execs',
    'canopy:team-execs:*',
    'canopy:team-llm:*',
    'canopy:shard:*',
    'canopy:tree:*',
    'canopy:trees',
    'canopy:lease:*',
    'canopy:lease-epoch:*',
    'canopy:runners',
  ],
  blackboard: ['canopy:bb:*', 'canopy:bbv:*'],
  history: ['canopy:hist:*'],
  gateway: ['canopy:apikey:*', 'canopy:apikeys', 'canopy:ratelimit:*'],
};

/**
 * Commands every service user gets: all but the administrative and dangerous ones (CONFIG,
 * FLUSHALL, KEYS, ACL, DEBUG, ...), plus INFO, which the client's ready check sends.
 */
export const REDIS_SERVICE_COMMANDS = ['+@all', '-@admin', '-@dangerous', '+info'] as const;

/**
 * The variable holding the password of Redis's `default` user in the shipped deployments. Nothing
 * logs in with it; it exists so that clients without a login are refused (NOAUTH).
 */
export const REDIS_DEFAULT_PASSWORD_VARIABLE = 'CANOPY_REDIS_PASSWORD_DEFAULT';

/**
 * The `default` user: every command and key, behind a password nobody uses. It may not be
 * restricted: Redis (7.0, the version Debian ships) replays the append-only file as `default` and
 * checks its permissions at each EXEC, so with a restricted `default` every transaction in the file,
 * each Lua script's writes (the tick commit) included, is dropped on restart: committed ticks
 * lost (redis/redis#14541, valkey-io/valkey#3983). A password instead keeps out clients that do
 * not log in: they get NOAUTH for everything, health probes' PING included (a probe that gets an
 * answer knows the server is up).
 */
export function redisDefaultUserRules(password: string): string[] {
  return ['default', 'reset', 'on', `>${password}`, '~*', '&*', '+@all'];
}

/**
 * One Redis ACL rule list per service user: the words after `ACL SETUSER`, after `user` in an ACL
 * file, or after `--user` on redis-server's command line. `password` is rendered as given (clear
 * text, or a `$(VAR)`/`${VAR}` the deployment substitutes). `reset` first, so applying it twice
 * leaves exactly this.
 */
export function redisAclRules(
  users: readonly { user: string; password: string; keys: readonly string[] }[],
): string[][] {
  return users.map(({ user, password, keys }) => [
    user,
    'reset',
    'on',
    `>${password}`,
    ...keys.map((pattern) => `~${pattern}`),
    'resetchannels',
    ...REDIS_SERVICE_COMMANDS,
  ]);
}

/**
 * The variable that holds a service's password for a broker in the shipped deployments
 * (docker-compose.yml, deploy/k8s): `CANOPY_NATS_PASSWORD_TICK_RUNNER`. The broker reads it (the
 * NATS config refers to it as `$CANOPY_…`; Redis gets it on its command line) and the service gets
 * it as NATS_PASSWORD / REDIS_PASSWORD.
 */
export function brokerPasswordVariable(broker: 'nats' | 'redis', service: string): string {
  return `CANOPY_${broker.toUpperCase()}_PASSWORD_${service.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * The NATS configuration the deployments ship (deploy/nats/auth.conf, the k8s ConfigMap
 * `nats-config`): every service user, passwords read from the server's environment.
 */
export function deployedNatsConfig(): string {
  return renderNatsAuthorization(
    NATS_SERVICES.map((user) => ({
      user,
      password: `$${brokerPasswordVariable('nats', user)}`,
      permissions: NatsPermissionsOf[user],
    })),
  );
}

/**
 * redis-server's ACL arguments in the deployments: `--user <rules>` for the `default` user and
 * each service, the password written by `password(variable)` (compose `${VAR}`, k8s `$(VAR)`).
 */
export function deployedRedisAclArgs(password: (variable: string) => string): string[] {
  return [
    redisDefaultUserRules(password(REDIS_DEFAULT_PASSWORD_VARIABLE)),
    ...redisAclRules(
      REDIS_SERVICES.map((user) => ({
        user,
        password: password(brokerPasswordVariable('redis', user)),
        keys: RedisKeyPatternsOf[user],
      })),
    ),
  ].flatMap((rules) => ['--user', ...rules]);
}
