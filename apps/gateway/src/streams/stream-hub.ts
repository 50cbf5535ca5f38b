import { ALL_EXECUTIONS_EVENT_TYPES, type EventEnvelope, Subjects } from '@canopy/contracts';
import { AppError, LOGGER } from '@canopy/service-kit';
import { TracedNats } from '@canopy/telemetry';
import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { type ExecutionSnapshot, ExecutionViews } from '../views/execution-views';
import { controlItem, StreamClient, type StreamLimits } from './stream-client';
import type { StreamFilter } from './stream-filter';

/** One execution's live events being delivered to a hub. */
export interface EventWatch {
  /** Resolves once everything published from now on will be delivered. */
  ready: Promise<void>;
  stop(): void;
}

/** Where a hub's live events come from: each event's JSON text, as the runner published it. */
export interface EventFeed {
  watch(execId: string, deliver: (text: string, subject: string) => void): EventWatch;
  /** Every execution's events of the all-executions stream's types. */
  watchAll(deliver: (text: string, subject: string) => void): EventWatch;
}

/** The topic (and `execId` of control messages) of the all-executions stream. */
export const ALL_EXECUTIONS = '*';

/** What a joining client gets first: the execution as it stands. */
export type SnapshotSource = (execId: string) => Promise<ExecutionSnapshot>;

export interface StreamHubOptions {
  limits: StreamLimits;
  heartbeatMs: number;
  /** Clients one execution may have at once (STREAM_MAX_CLIENTS); default unbounded. */
  maxClientsPerExecution?: number;
}

/** Every client watching one execution, fed by one watch of the feed. */
interface Topic {
  execId: string;
  watch: EventWatch;
  clients: Set<StreamClient>;
}

/** WebSocket close code of a gateway going away. */
export const CLOSE_GOING_AWAY = 1001;

/**
 * Fans the events of each watched execution out to its clients. The first client of an
 * execution starts watching it on the feed; the last one to leave stops. No replay is needed:
 * a joining client gets a snapshot of the current state first, then live events.
 *
 * The feed's callback parses each event once and appends it to every matching client's bounded
 * queue; it never waits on a client, so a slow one cannot hold up the others (or the feed).
 *
 * The feed and the snapshot source are plain functions here; {@link StreamHub} wires them to
 * NATS and the owning runner.
 */
export class StreamHubCore {
  private readonly topics = new Map<string, Topic>();

  constructor(
    private readonly feed: EventFeed,
    private readonly snapshotOf: SnapshotSource,
    private readonly options: StreamHubOptions,
    protected readonly logger: Logger,
  ) {}

  get heartbeatMs(): number {
    return this.options.heartbeatMs;
  }

  /**
   * A new client of `execId`, its snapshot first in its queue. Live events are collected from
   * before the snapshot is asked for, so none fall between the two. Rejects (404, 503) when the
   * execution cannot be read; the client is gone then.
   */
  async join(execId: string, filter: StreamFilter): Promise<StreamClient> {
    const max = this.options.maxClientsPerExecution ?? Number.POSITIVE_INFINITY;
    if ((this.topics.get(execId)?.clients.size ?? 0) >= max) {
      throw new AppError(
        'TOO_MANY_STREAM_CLIENTS',
        `execution ${execId} has ${max} live streams on this gateway (STREAM_MAX_CLIENTS)`,
        { max },
      );
    }
    const client = new StreamClient(execId, filter, this.options.limits, (c) => this.leave(c));
    const topic = this.topicOf(execId);
    topic.clients.add(client);
    try {
      await topic.watch.ready;
      client.start(snapshotItem(execId, await this.snapshotOf(execId)));
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /**
   * A new client of the all-executions stream. There is no snapshot of every execution: the
   * first message is `subscribed` with the filter; events that arrive from then on are delivered,
   * so a client that lists executions (REST) after it misses no change.
   */
  async joinAll(filter: StreamFilter): Promise<StreamClient> {
    const max = this.options.maxClientsPerExecution ?? Number.POSITIVE_INFINITY;
    if ((this.topics.get(ALL_EXECUTIONS)?.clients.size ?? 0) >= max) {
      throw new AppError(
        'TOO_MANY_STREAM_CLIENTS',
        `the all-executions stream has ${max} clients on this gateway (STREAM_MAX_CLIENTS)`,
        { max },
      );
    }
    const client = new StreamClient(ALL_EXECUTIONS, filter, this.options.limits, (c) =>
      this.leave(c),
    );
    const topic = this.topicOf(ALL_EXECUTIONS);
    topic.clients.add(client);
    try {
      await topic.watch.ready;
      client.start(controlItem('subscribed', ALL_EXECUTIONS, 0, filter));
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** A fresh snapshot, queued after what the client has not received yet. */
  async resync(client: StreamClient): Promise<void> {
    if (client.execId === ALL_EXECUTIONS) {
      client.control('error', {
        code: 'VALIDATION_FAILED',
        message: 'the all-executions stream has no snapshot: list executions with GET /executions',
      });
      return;
    }
    const snapshot = await this.snapshotOf(client.execId);
    client.control('snapshot', snapshot);
  }

  /** Executions watched right now and their client counts. */
  watched(): Record<string, number> {
    return Object.fromEntries([...this.topics].map(([id, t]) => [id, t.clients.size]));
  }

  /** Closes every client (their transports with `code`). */
  closeAll(code: number, reason: string): void {
    for (const topic of [...this.topics.values()]) {
      for (const client of [...topic.clients]) client.close(code, reason);
    }
  }

  private topicOf(execId: string): Topic {
    const existing = this.topics.get(execId);
    if (existing) return existing;
    const clients = new Set<StreamClient>();
    const deliver = (text: string, subject: string): void => this.fanOut(clients, text, subject);
    const watch =
      execId === ALL_EXECUTIONS ? this.feed.watchAll(deliver) : this.feed.watch(execId, deliver);
    const topic: Topic = { execId, watch, clients };
    // A failed start is the join's to report; do not leave an unhandled rejection.
    topic.watch.ready.catch(() => undefined);
    this.topics.set(execId, topic);
    return topic;
  }

  private fanOut(clients: Set<StreamClient>, text: string, subject: string): void {
    let event: EventEnvelope;
    try {
      event = JSON.parse(text) as EventEnvelope;
    } catch {
      this.logger.warn({ subject }, 'event is not JSON; skipped');
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return;
    // SSE frames end at a blank line: re-encode the rare event published with line breaks.
    if (text.includes('\n')) text = JSON.stringify(event);
    for (const client of clients) client.offer(event, text);
  }

  private leave(client: StreamClient): void {
    const topic = this.topics.get(client.execId);
    if (!topic || !topic.clients.delete(client) || topic.clients.size > 0) return;
    this.topics.delete(client.execId);
    topic.watch.stop();
  }
}

/**
 * Watches `canopy.events.<id>.>` on **core NATS** (the runner's publishes, which the
 * CANOPY_EVENTS stream also captures); ready once the server has the subscription.
 */
export function natsEventFeed(nats: TracedNats, logger: Logger): EventFeed {
  // Core NATS directly, not TracedNats.subscribe: a span per event and watcher would cost
  // more than the fan-out; the runner's publish spans already trace each event.
  const watchSubjects = (
    subjects: string[],
    execId: string,
    deliver: (text: string, subject: string) => void,
  ): EventWatch => {
    const subscriptions = subjects.map((subject) =>
      nats.connection.subscribe(subject, {
        callback: (error, msg) => {
          if (error) {
            logger.error({ err: error, execId }, 'event subscription failed');
            return;
          }
          deliver(msg.string(), msg.subject);
        },
      }),
    );
    return {
      ready: nats.connection.flush(),
      stop: () => subscriptions.forEach((s) => s.unsubscribe()),
    };
  };
  return {
    watch: (execId, deliver) => watchSubjects([Subjects.eventsOf(execId)], execId, deliver),
    // One subscription per type, so the gateway never receives the per-node firehose.
    watchAll: (deliver) =>
      watchSubjects(
        ALL_EXECUTIONS_EVENT_TYPES.map((type) => Subjects.event('*', type)),
        ALL_EXECUTIONS,
        deliver,
      ),
  };
}

/** The gateway's hub: events from NATS, snapshots from the owning runner (and CANOPY_TICKS). */
@Injectable()
export class StreamHub extends StreamHubCore implements BeforeApplicationShutdown {
  constructor(
    nats: TracedNats,
    views: ExecutionViews,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(
      natsEventFeed(nats, logger),
      (execId) => views.snapshot(execId),
      {
        limits: { queue: config.STREAM_QUEUE_LIMIT, bufferBytes: config.STREAM_BUFFER_BYTES },
        heartbeatMs: config.STREAM_HEARTBEAT_MS,
        maxClientsPerExecution: config.STREAM_MAX_CLIENTS,
      },
      logger,
    );
  }

  /** Before the HTTP server closes (it would wait for open streams) and NATS drains. */
  beforeApplicationShutdown(): void {
    this.closeAll(CLOSE_GOING_AWAY, 'gateway shutting down');
  }
}

function snapshotItem(execId: string, snapshot: ExecutionSnapshot) {
  return controlItem('snapshot', execId, snapshot.execution.tick, snapshot);
}
