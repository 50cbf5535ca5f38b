import type { Redis } from 'ioredis';
import { EVENT_QUEUE_MAX_DEFAULT, Subjects, type RunnersChanged } from '@canopy/contracts';
import { DEFAULT_TREE_LIMITS, type ActionFn, type LlmProvider, type TreeLimits } from '@canopy/engine';
import type { TracedNats } from '@canopy/telemetry';
import { duplicateRedis, Metrics, redisReady } from '@canopy/service-kit';
import type { Subscription } from '@nats-io/nats-core';
import { RemoteActions } from './actions/remote-actions';
import { subscribeCommands } from './commands/command-handler';
import { CreateExecution } from './commands/create-execution.use-case';
import { DebugCommands } from './commands/debug-commands';
import { ExecutionCommands } from './commands/execution-commands';
import { ExecutionQueries } from './commands/execution-queries.use-case';
import { InboundEvents, subscribeInbound } from './commands/inbound-events';
import { subscribeBroadcasts, subscribeServiceHandlers } from './commands/service-handlers';
import { Committer } from './commit/committer';
import { Outbox } from './delivery/outbox';
import { Publisher } from './delivery/publisher';
import { EventsRetention } from './delivery/events-retention';
import { ensureStreams } from './delivery/streams';
import { EventStore } from './executions/event-store';
import { ExecutionStore } from './executions/execution-store';
import { ScopeCache } from './executions/scope-cache';
import { McpTools, type McpServerConfig } from '@canopy/llm';
import { LlmBudgets } from './executions/llm-budget';
import { TEAM_MAX_EXECUTIONS_DEFAULT, TeamQuota } from './executions/team-quota';
import type { Log } from './log';
import { type RunnerGauges, RunnerMetrics } from './metrics';
import { Leases } from './ownership/leases';
import { Membership } from './ownership/membership';
import { ShardManager } from './ownership/shard-manager';
import { defineScripts } from './redis-scripts';
import { TreeDocuments } from './registry/tree-documents';
import { TreeRegistry } from './registry/tree-registry.use-case';
import { TreeStore } from './registry/tree-store';
import { ExecutionHost } from './ticking/execution-host';
import { Scheduler } from './ticking/scheduler';
import { TickSlot } from './ticking/tick-slot';

import { announceRegistered, subscribeFollow } from './reload/follow';
import { ReloadExecution } from './reload/reload-execution.use-case';
export interface TickRunnerOptions {
  runnerId: string;
  shardCount: number;
  leaseTtlMs: number;
  actionTimeoutMs: number;
  /** Bound of each execution's queue of external events (default EVENT_QUEUE_MAX_DEFAULT). */
  eventQueueMax?: number;
  /** Trees larger are refused when registered and when built (default DEFAULT_TREE_LIMITS). */
  treeLimits?: TreeLimits;
  /** Executions one team may have (default TEAM_MAX_EXECUTIONS_DEFAULT). */
  teamMaxExecutions?: number;
  /** Tokens one team's llm-calls may use in all (TEAM_LLM_TOKEN_BUDGET); none when absent. */
  teamLlmTokenBudget?: number;
}

export interface TickRunnerDeps {
  nats: TracedNats;
  redis: Redis;
  log: Log;
  /** Actions served in-process; every other name goes to action workers over NATS. */
  localActions?: Record<string, ActionFn>;
  /** The provider of `(llm-call ...)` (CANOPY_LLM_PROVIDER); without one the node fails. */
  llm?: LlmProvider;
  /** The service's metrics registry (METRICS); a private one when omitted (tests). */
  metrics?: Metrics;
  /** MCP servers of `(mcp-tool SERVER ...)` by name (CANOPY_MCP_SERVERS). */
  mcpServers?: Record<string, McpServerConfig>;
}

export interface RunnerStatus {
  runnerId: string;
  members: string[];
  shards: number[];
  executions: number;
}

/**
 * One tick runner: composes the stores, use cases, the execution host with its scheduler, the
 * committer and the outbox, and shard ownership; `start` joins the deployment, `stop` hands
 * everything over and leaves.
 */
export class TickRunner {
  readonly host: ExecutionHost;
  readonly shards: ShardManager;
  readonly registry: TreeRegistry;
  readonly queries: ExecutionQueries;
  readonly reloads: ReloadExecution;
  readonly metrics: RunnerMetrics;
  private readonly outbox: Outbox;
  private readonly subscriptions: Subscription[] = [];
  private readonly mcp: McpTools;
  private readonly retention: EventsRetention;
  private readonly ownershipRedis: Redis;
  private started = false;
  private joined = false;

  constructor(
    readonly options: TickRunnerOptions,
    private readonly deps: TickRunnerDeps,
  ) {
    const { nats, redis, log } = deps;
    this.metrics = new RunnerMetrics(deps.metrics ?? new Metrics(), () => this.gauges());
    const treeLimits = options.treeLimits ?? DEFAULT_TREE_LIMITS;
    defineScripts(redis);
    const trees = new TreeStore(redis);
    const documents = new TreeDocuments(trees);
    const store = new ExecutionStore(redis);
    const events = new EventStore(redis, options.runnerId);
    const cache = new ScopeCache((scope) => store.loadScope(scope));
    const publisher = new Publisher(nats, options.runnerId);
    this.retention = new EventsRetention(nats.connection, log);
    this.outbox = new Outbox({
      nats,
      trim: (through) => store.trimOutboxes(through),
      ensureStreams: () => ensureStreams(nats.connection, log),
      onRoom: (execId) => this.host.deliveryRoom(execId),
      log,
      metrics: this.metrics,
    });
    const remoteActions = new RemoteActions(nats, {
      defaultTimeoutMs: options.actionTimeoutMs,
      onError: (error, action) => log.warn({ err: error, action }, 'remote action failed'),
    });
    // `mcp:<server>/<tool>` names go to MCP servers; every other unregistered name to workers.
    this.mcp = new McpTools(deps.mcpServers ?? {}, remoteActions);
    const budgets = new LlmBudgets(redis, log, options.teamLlmTokenBudget);
    const scheduler = new Scheduler<string>((ids) => slot.run(ids), undefined, (error) =>
      log.error({ err: error }, 'scheduler slot failed'),
    );
    this.host = new ExecutionHost({
      runnerId: options.runnerId,
      store,
      events,
      documents,
      cache,
      outbox: this.outbox,
      publisher,
      scheduler,
      remoteActions: this.mcp,
      localActions: deps.localActions,
      llm: deps.llm,
      budgets,
      treeLimits,
      log,
    });
    const committer = new Committer(redis, cache, publisher, this.host, log, this.metrics);
    const slot = new TickSlot(this.host, committer, this.outbox, publisher, cache, log, this.metrics);
    // Leases and membership on a connection of their own: renewals must not wait behind a slot's
    // commits (under overload those took over a second, longer than a lease's TTL allows).
    this.ownershipRedis = duplicateRedis(redis, `${options.runnerId}-ownership`, log);
    defineScripts(this.ownershipRedis);
    const leases = new Leases(this.ownershipRedis, options.runnerId, options.leaseTtlMs);
    const membership = new Membership(this.ownershipRedis, options.runnerId, options.leaseTtlMs);
    this.shards = new ShardManager(membership, leases, this.host, {
      shardCount: options.shardCount,
      leaseTtlMs: options.leaseTtlMs,
      onMembers: (members, gone) => {
        log.info({ members }, 'runner membership');
        // A runner that went may have committed shared writes it never announced.
        if (gone.length > 0) cache.markAllStale();
      },
      onLeaseChange: () => this.metrics.leaseChanges++,
      onError: (error, during) => log.error({ err: error, during }, 'ownership error'),
    });
    // Announcements of shared writes are core NATS messages: a NATS restart may have lost some.
    nats.onReconnect(() => cache.markAllStale());
    const commands = new ExecutionCommands(this.host, committer, this.outbox, publisher, {
      store: events,
      max: options.eventQueueMax ?? EVENT_QUEUE_MAX_DEFAULT,
    });
    const debugCommands = new DebugCommands(this.host, commands);
    this.registry = new TreeRegistry(
      trees,
      (name, version) => announceRegistered(nats, name, version),
      treeLimits,
    );
    this.reloads = new ReloadExecution(this.host, commands, this.registry, trees, documents);
    this.host.attach(this.shards, (shard) =>
      subscribeCommands(nats, commands, debugCommands, options.shardCount, shard, this.reloads),
    );
    const quota = new TeamQuota(redis, options.teamMaxExecutions ?? TEAM_MAX_EXECUTIONS_DEFAULT);
    this.queries = new ExecutionQueries(store, leases, nats, publisher, options.shardCount, quota);
    const createExecution = new CreateExecution(
      trees,
      documents,
      store,
      nats,
      publisher,
      options.shardCount,
      quota,
      treeLimits,
    );
    this.subscriptions.push(...subscribeServiceHandlers({ nats, registry: this.registry, createExecution, queries: this.queries }));
    // Longer than a crashed owner's shards take to move (lease TTL, then a rebalance).
    const inbound = new InboundEvents(nats, options.shardCount, Math.max(5000, 3 * options.leaseTtlMs));
    this.subscriptions.push(subscribeInbound(nats, inbound));
  }

  get runnerId(): string {
    return this.options.runnerId;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await ensureStreams(this.deps.nats.connection, this.deps.log);
    await redisReady(this.ownershipRedis);
    this.retention.start();
    this.subscriptions.push(
      ...subscribeBroadcasts(this.deps.nats, this.host, (change) => this.onPeer(change), this.deps.log),
      subscribeFollow(this.deps.nats, this.host, this.reloads, this.options.shardCount, this.deps.log),
    );
    await this.shards.start();
    this.joined = true;
    this.announce('joined');
    this.deps.log.info({ runner: this.runnerId, shards: this.shards.heldShards().length }, 'runner started');
  }

  /**
   * Clean leave: stop taking requests, leave the membership, finish in-flight ticks, deliver what
   * was committed and release every lease (peers take the shards at once), announce it, stop the
   * scheduler. Whatever the brokers do, it gives up after `deadlineMs`: leases not released then
   * expire by themselves and undelivered records stay in the Redis outbox for the next owner.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.joined = false;
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    const leave = (async () => {
      await this.shards.leave();
      this.announce('left');
    })().catch((error: unknown) => this.deps.log.warn({ err: error }, 'clean leave failed'));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
    if ((await Promise.race([leave, deadline])) === 'deadline') {
      this.deps.log.warn({ deadlineMs }, 'leave did not finish in time; peers take the shards when the leases expire');
      this.shards.halt();
    }
    clearTimeout(timer);
    await Promise.race([this.host.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.retention.stop();
    this.outbox.close();
    await this.mcp.close();
    this.ownershipRedis.disconnect();
    this.deps.log.info({ runner: this.runnerId }, 'runner stopped');
  }

  /** Simulates a crash in tests: stops ticking and renewing without releasing anything. */
  async crash(): Promise<void> {
    this.started = false;
    this.joined = false;
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    this.shards.halt();
    this.retention.stop();
    this.outbox.close();
    await this.host.close();
    this.ownershipRedis.disconnect();
  }

  /** What the metrics read at scrape time. */
  private gauges(): RunnerGauges {
    const stats = this.host.scheduler.readStats();
    return {
      shards: this.shards.heldShards().length,
      executions: this.host.loadedIds().length,
      members: this.shards.liveMembers().length,
      lagMs: stats.maxLagMs,
      slots: stats.slots,
      backlog: this.outbox.backlog(),
    };
  }

  /** Ready once the streams exist and it joined the membership and took its shards. */
  get ready(): boolean {
    return this.joined;
  }

  status(): RunnerStatus {
    return {
      runnerId: this.runnerId,
      members: this.shards.liveMembers(),
      shards: this.shards.heldShards(),
      executions: this.host.loadedIds().length,
    };
  }

  private announce(change: RunnersChanged['change']): void {
    const message: RunnersChanged = { runner: this.runnerId, change };
    this.deps.nats.publish(Subjects.runnersChanged, message);
  }

  private onPeer(change: RunnersChanged): void {
    if (change.runner === this.runnerId) return;
    void this.shards.refresh().catch((error: unknown) => this.deps.log.warn({ err: error }, 'rebalance after a peer change failed'));
  }
}
