/**
 * Every NATS subject, stream, consumer and queue name, and every Redis key, in one place.
 *
 * DO NOT CHANGE a name without a migration plan: subjects are public (users subscribe to them),
 * stream and consumer names hold durable state, and Redis keys hold user data.
 */

/** Ids that appear in subjects and keys: no dots, wildcards or whitespace. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const Subjects = {
  /** One TickRecord per tick (JetStream CANOPY_TICKS, deduplicated by `<execId>:<tick>`). */
  ticks: (execId: string) => `canopy.ticks.${execId}`,
  ticksAll: 'canopy.ticks.>',
  /** Derived events, in order, after each tick (JetStream CANOPY_EVENTS). */
  event: (execId: string, type: string) => `canopy.events.${execId}.${type}`,
  eventsOf: (execId: string) => `canopy.events.${execId}.>`,
  eventsAll: 'canopy.events.>',
  /** History's `execution_progress` events, of every execution. */
  executionProgressAll: 'canopy.events.*.execution_progress',
  /** Blackboard changes made outside a tick. `scope` is `global`, `team:<id>` or `exec:<id>`. */
  bbChanged: (scope: string) => `canopy.bb.${scope}.changed`,
  bbChangedAll: 'canopy.bb.*.changed',
  /** Commands to the runner that owns the execution's shard (request/reply). */
  command: (shard: number, execId: string) => `canopy.cmd.${shard}.${execId}`,
  commandsAll: 'canopy.cmd.*.*',
  /**
   * `load` and `unload` between runners, on their own subject so NATS permissions let only
   * runners send them (the owner refuses them on `command`).
   */
  peerCommand: (shard: number, execId: string) => `canopy.cmd.${shard}.${execId}.peer`,
  peerCommandsAll: 'canopy.cmd.*.*.peer',
  /** What the owner of a shard subscribes to: `command` and `peerCommand` of its executions. */
  commandsOfShard: (shard: number) => `canopy.cmd.${shard}.>`,
  /**
   * External events for an execution (`TriggerRequest`): any runner takes it (queue group) and
   * hands it to the owner, which stores it; a request gets `TriggerResponse` once it is stored.
   */
  inbound: (execId: string) => `canopy.in.${execId}`,
  inboundAll: 'canopy.in.*',
  /** Remote action invocations (request/reply, queue group per action name). */
  action: (name: string) => `canopy.action.${name}`,
  /** Cancellation of a running invocation, broadcast to every worker of that action. */
  actionCancel: (name: string) => `canopy.action-cancel.${name}`,

  /** Tree registry, served by any runner (queue group). */
  treesRegister: 'canopy.svc.trees.register',
  treesList: 'canopy.svc.trees.list',
  treesGet: 'canopy.svc.trees.get',
  /** Execution lifecycle, served by any runner (queue group); per-execution commands go to the owner. */
  execCreate: 'canopy.svc.exec.create',
  execList: 'canopy.svc.exec.list',
  execGet: 'canopy.svc.exec.get',
  execDelete: 'canopy.svc.exec.delete',
  /** Blackboard service (queue group). */
  bbGet: 'canopy.svc.bb.get',
  bbPut: 'canopy.svc.bb.put',
  bbDelete: 'canopy.svc.bb.delete',
  bbList: 'canopy.svc.bb.list',
  /** History service (queue group): per-tick history, diffs, stats, progress, forks. */
  historyList: 'canopy.svc.history.list',
  historyGet: 'canopy.svc.history.get',
  historyDiff: 'canopy.svc.history.diff',
  historyDelete: 'canopy.svc.history.delete',
  historyStats: 'canopy.svc.history.stats',
  historyNodes: 'canopy.svc.history.nodes',
  historyTimeline: 'canopy.svc.history.timeline',
  historyBlackboard: 'canopy.svc.history.blackboard',
  historyProgress: 'canopy.svc.history.progress',
  historyFork: 'canopy.svc.history.fork',
  /** A tree version was registered (`TreeRegistered`): runners move their `follow` executions. */
  treesRegistered: 'canopy.trees.registered',
  /** Runner membership: announcements on join/leave so peers rebalance at once. */
  runnersChanged: 'canopy.runners.changed',
} as const;

export const Streams = {
  ticks: { name: 'CANOPY_TICKS', subjects: ['canopy.ticks.>'] },
  events: { name: 'CANOPY_EVENTS', subjects: ['canopy.events.>'] },
} as const;

export const Consumers = {
  /** The history service's durable consumer of every tick record. */
  history: 'canopy-history',
} as const;

export const Queues = {
  runners: 'canopy-runners',
  blackboard: 'canopy-blackboard',
  history: 'canopy-history',
  action: (name: string) => `canopy-action-${name}`,
} as const;

/** Message header carrying JetStream's dedup id. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';
/**
 * The stream's dedup id of a tick record. With the execution's `createdAt` (its incarnation) an
 * execution deleted and created again under the same id within the dedup window is not taken for a
 * replay of the old one (whose records with the same ticks the stream would drop).
 */
export const tickMsgId = (execId: string, tick: number, createdAt?: string) =>
  createdAt === undefined ? `${execId}:${tick}` : `${execId}:${Date.parse(createdAt)}:${tick}`;

/**
 * Redis keys. Per-execution keys share the hash tag `{exec:<id>}`, so everything of one execution
 * lives in one Redis Cluster slot. The tick commit also reads the shard's lease and writes shared
 * scopes, which are other slots: docs/architecture.md ("Redis Cluster") says what a Cluster
 * deployment changes.
 */
export const RedisKeys = {
  /** Hash key -> JSON value. */
  scopeValues: (scope: string) => `canopy:bb:{${scope}}`,
  /** Hash key -> version (integer, increments on every write). */
  scopeVersions: (scope: string) => `canopy:bbv:{${scope}}`,
  execMeta: (execId: string) => `canopy:exec:{exec:${execId}}`,
  execCheckpoint: (execId: string) => `canopy:ckpt:{exec:${execId}}`,
  /**
   * The outbox: a sorted set of committed TickRecordMessages (score = tick) not yet known to be
   * in CANOPY_TICKS. A tick's record is added by its commit and removed once the stream acked it;
   * whatever is left is published again by whichever runner holds the execution next.
   */
  execOutbox: (execId: string) => `canopy:outbox:{exec:${execId}}`,
  /**
   * The debugger's state of an execution (JSON: breakpoints, watches, the paused position and
   * what re-running the paused tick needs), committed with the execution's other keys.
   */
  execDebug: (execId: string) => `canopy:debug:{exec:${execId}}`,
  /**
   * The execution's queue of external events: a Redis stream (entry fields `name`, `payload`
   * JSON; the entry id's time is the event's `at`), appended by its owner under the lease, bounded
   * by EVENT_QUEUE_MAX; a tick's commit deletes the entries the tick took.
   */
  execEvents: (execId: string) => `canopy:events:{exec:${execId}}`,
  execIndex: 'canopy:execs',
  shardExecs: (shard: number) => `canopy:shard:${shard}:execs`,
  /** Ids of a team's executions (a set): TEAM_MAX_EXECUTIONS is checked against its size. */
  teamExecs: (team: string) => `canopy:team-execs:{team:${team}}`,
  /** Tokens a team's llm-calls used (a counter): TEAM_LLM_TOKEN_BUDGET is checked against it. */
  teamLlmTokens: (team: string) => `canopy:team-llm:{team:${team}}`,
  tree: (name: string) => `canopy:tree:${name}`,
  treeIndex: 'canopy:trees',
  lease: (shard: number) => `canopy:lease:${shard}`,
  leaseEpoch: (shard: number) => `canopy:lease-epoch:${shard}`,
  runners: 'canopy:runners',
  /**
   * Gateway API keys: hash of the record (`id`, `role`, `teams` JSON, `name`, `createdAt`) keyed by
   * the SHA-256 of the key, so the plaintext key is never stored.
   */
  apiKey: (sha256Hex: string) => `canopy:apikey:${sha256Hex}`,
  /** Hash key id -> SHA-256 of the key: what `GET /keys` lists and `DELETE /keys/:id` finds. */
  apiKeyIndex: 'canopy:apikeys',
  /** Prefix of @fastify/rate-limit's per-key counters (its Redis store's `nameSpace`). */
  rateLimitPrefix: 'canopy:ratelimit:',

  /**
   * History of one execution (apps/history, docs/history.md), all under `{exec:<id>}`. Hashes are
   * keyed by tick number; the sorted sets order ticks (score = tick, or start time for `Times`).
   */
  historyRecords: (execId: string) => `canopy:hist:rec:{exec:${execId}}`,
  historySummaries: (execId: string) => `canopy:hist:sum:{exec:${execId}}`,
  historyDeltas: (execId: string) => `canopy:hist:delta:{exec:${execId}}`,
  historyTicks: (execId: string) => `canopy:hist:ticks:{exec:${execId}}`,
  historyTimes: (execId: string) => `canopy:hist:times:{exec:${execId}}`,
  historyKeyframes: (execId: string) => `canopy:hist:kf:{exec:${execId}}`,
  historyKeyframeTicks: (execId: string) => `canopy:hist:kft:{exec:${execId}}`,
  /** Blackboard keys the execution wrote -> the first tick that wrote them. */
  historyKeys: (execId: string) => `canopy:hist:keys:{exec:${execId}}`,
  historyMeta: (execId: string) => `canopy:hist:meta:{exec:${execId}}`,
  historyProgress: (execId: string) => `canopy:hist:progress:{exec:${execId}}`,
  /** Executions with history, scored by the start time of their oldest retained tick. */
  historyIndex: 'canopy:hist:execs',
} as const;
