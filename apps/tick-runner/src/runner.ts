import type { NatsConnection } from '@nats-io/nats-core';
import type { Redis } from 'ioredis';
import { Subjects, type RunnersChanged } from '@canopy/contracts';
import type { ActionFn } from '@canopy/engine';
import { RemoteActions } from './actions/remote-actions';
import { CreateExecution } from './executions/create-execution.usecase';
import { ExecutionCommands } from './executions/execution-commands';
import { ExecutionHost } from './executions/execution-host';
import { ExecutionQueries } from './executions/execution-queries.usecase';
import { ExecutionStore } from './executions/execution-store';
import { Publisher } from './executions/publisher';
import { ScopeCache } from './executions/scope-cache';
import { TreeDocuments } from './executions/tree-documents';
import type { Log } from './log';
import { RunnerMetrics } from './metrics';
import type { Bus, BusSubscription } from './messaging/bus';
import { commandHandler } from './messaging/command-handler';
import { subscribeBroadcasts, subscribeServiceHandlers } from './messaging/service-handlers';
import { ensureStreams } from './messaging/streams';
import { NatsWire } from './messaging/wire';
import { Leases } from './ownership/leases';
import { Membership } from './ownership/membership';
import { ShardManager } from './ownership/shard-manager';
import { defineScripts } from './redis-scripts';
import { TreeRegistry } from './registry/tree-registry.usecase';
import { TreeStore } from './registry/tree-store';

export interface TickRunnerOptions {
  runnerId: string;
  shardCount: number;
  leaseTtlMs: number;
  actionTimeoutMs: number;
}

export interface TickRunnerDeps {
  bus: Bus;
  /** The raw connection, for JetStream stream management. */
  nats: NatsConnection;
  redis: Redis;
  log: Log;
  /** Actions served in-process; every other name goes to action workers over NATS. */
  localActions?: Record<string, ActionFn>;
}

export interface RunnerStatus {
  runnerId: string;
  members: string[];
  shards: number[];
  executions: number;
}

/**
 * One tick runner: composes the stores, use cases, the execution host with its scheduler, and
 * shard ownership; `start` joins the deployment, `stop` hands everything over and leaves.
 */
export class TickRunner {
  readonly host: ExecutionHost;
  readonly shards: ShardManager;
  readonly registry: TreeRegistry;
  readonly queries: ExecutionQueries;
  readonly metrics = new RunnerMetrics();
  private readonly subscriptions: BusSubscription[] = [];
  /** The publisher's NATS output (tick records with stream acks, events), on `deps.nats`. */
  private readonly wire: NatsWire;
  private started = false;

  constructor(
    readonly options: TickRunnerOptions,
    private readonly deps: TickRunnerDeps,
  ) {
    const { bus, redis, log } = deps;
    defineScripts(redis);
    const trees = new TreeStore(redis);
    const documents = new TreeDocuments(trees);
    const store = new ExecutionStore(redis);
    const cache = new ScopeCache((scope) => store.loadScope(scope));
    this.wire = new NatsWire(deps.nats);
    const publisher = new Publisher(this.wire, options.runnerId);
    const remoteActions = new RemoteActions(bus, {
      defaultTimeoutMs: options.actionTimeoutMs,
      onError: (error, action) => log.warn({ err: error, action }, 'remote action failed'),
    });
    this.host = new ExecutionHost({
      runnerId: options.runnerId,
      redis,
      store,
      documents,
      cache,
      publisher,
      remoteActions,
      localActions: deps.localActions,
      log,
      metrics: this.metrics,
    });
    const leases = new Leases(redis, options.runnerId, options.leaseTtlMs);
    this.shards = new ShardManager(new Membership(redis, options.runnerId, options.leaseTtlMs), leases, this.host, {
      shardCount: options.shardCount,
      leaseTtlMs: options.leaseTtlMs,
      onMembers: (members) => log.info({ members }, 'runner membership'),
      onLeaseChange: () => this.metrics.leaseChanges++,
      onError: (error, during) => log.error({ err: error, during }, 'ownership error'),
    });
    const commands = new ExecutionCommands(this.host, redis, cache, publisher);
    const onCommand = commandHandler(commands, options.shardCount, log, () => redis.status !== 'ready');
    this.host.attach(this.shards, (shard) => bus.subscribe(Subjects.commandsOfShard(shard), onCommand(shard)));
    this.registry = new TreeRegistry(trees);
    this.queries = new ExecutionQueries(store, leases, bus, options.shardCount);
    const createExecution = new CreateExecution(trees, documents, store, bus, publisher, options.shardCount);
    this.subscriptions.push(
      ...subscribeServiceHandlers({
        bus,
        registry: this.registry,
        createExecution,
        queries: this.queries,
        log,
        storageDown: () => redis.status !== 'ready',
      }),
    );
  }

  get runnerId(): string {
    return this.options.runnerId;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await ensureStreams(this.deps.nats, this.deps.log);
    this.subscriptions.push(
      ...subscribeBroadcasts(this.deps.bus, this.host, (change) => this.onPeer(change), this.deps.log),
    );
    await this.shards.start();
    this.announce('joined');
    this.deps.log.info({ runner: this.runnerId, shards: this.shards.heldShards().length }, 'runner started');
  }

  /**
   * Clean leave: stop taking requests, leave the membership, finish in-flight ticks and release
   * every lease (peers take the shards at once), announce it, stop the scheduler.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    await this.shards.leave();
    this.announce('left');
    await this.host.close();
    this.wire.close();
    this.deps.log.info({ runner: this.runnerId }, 'runner stopped');
  }

  /** Simulates a crash in tests: stops ticking and renewing without releasing anything. */
  async crash(): Promise<void> {
    this.started = false;
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    this.shards.halt();
    await this.host.close();
    this.wire.close();
  }

  /** Prometheus text for GET /metrics. */
  renderMetrics(): string {
    const stats = this.host.scheduler.readStats();
    return this.metrics.render({
      shards: this.shards.heldShards().length,
      executions: this.host.loadedIds().length,
      members: this.shards.liveMembers().length,
      lagMs: stats.maxLagMs,
      slots: stats.slots,
    });
  }

  /** Ready once it joined the membership and holds a current view of it. */
  get ready(): boolean {
    return this.started;
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
    this.deps.bus.publish(Subjects.runnersChanged, message);
  }

  private onPeer(change: RunnersChanged): void {
    if (change.runner === this.runnerId) return;
    void this.shards.refresh();
  }
}
