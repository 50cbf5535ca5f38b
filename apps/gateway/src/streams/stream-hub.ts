import { type EventEnvelope, Subjects } from '@canopy/contracts';
import { LOGGER } from '@canopy/service-kit';
import { TracedNats } from '@canopy/telemetry';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { type ExecutionSnapshot, ExecutionViews } from '../views/execution-views';
import { controlItem, StreamClient, type StreamLimits } from './stream-client';
import type { StreamFilter } from './stream-filter';

/** Every client watching one execution, fed by one NATS subscription. */
interface Topic {
  execId: string;
  subscription: Subscription;
  /** Resolves once the server has the subscription, so nothing published later is missed. */
  ready: Promise<void>;
  clients: Set<StreamClient>;
}

/** WebSocket close code of a gateway going away. */
export const CLOSE_GOING_AWAY = 1001;

/**
 * Fans the events of each watched execution out to its clients. The first client of an
 * execution subscribes `canopy.events.<id>.>` on core NATS (the runner's publishes, which the
 * CANOPY_EVENTS stream also captures); the last one to leave unsubscribes. No replay is needed:
 * a joining client gets a snapshot of the current state first, then live events.
 *
 * The subscription callback parses each event once and appends it to every matching client's
 * bounded queue; it never waits on a client, so a slow one cannot hold up the others (or NATS).
 */
@Injectable()
export class StreamHub implements BeforeApplicationShutdown {
  private readonly topics = new Map<string, Topic>();
  private readonly limits: StreamLimits;

  constructor(
    private readonly nats: TracedNats,
    private readonly views: ExecutionViews,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limits = { queue: config.STREAM_QUEUE_LIMIT, bufferBytes: config.STREAM_BUFFER_BYTES };
  }

  get heartbeatMs(): number {
    return this.config.STREAM_HEARTBEAT_MS;
  }

  /**
   * A new client of `execId`, its snapshot first in its queue. Live events are collected from
   * before the snapshot is asked for, so none fall between the two. Rejects (404, 503) when the
   * execution cannot be read; the client is gone then.
   */
  async join(execId: string, filter: StreamFilter): Promise<StreamClient> {
    const client = new StreamClient(execId, filter, this.limits, (c) => this.leave(c));
    const topic = this.topicOf(execId);
    topic.clients.add(client);
    try {
      await topic.ready;
      client.start(snapshotItem(execId, await this.views.snapshot(execId)));
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** A fresh snapshot, queued after what the client has not received yet. */
  async resync(client: StreamClient): Promise<void> {
    const snapshot = await this.views.snapshot(client.execId);
    client.control('snapshot', snapshot);
  }

  /** Executions watched right now and their client counts. */
  watched(): Record<string, number> {
    return Object.fromEntries([...this.topics].map(([id, t]) => [id, t.clients.size]));
  }

  /** Before the HTTP server closes (it would wait for open streams) and NATS drains. */
  beforeApplicationShutdown(): void {
    for (const topic of [...this.topics.values()]) {
      for (const client of [...topic.clients]) {
        client.close(CLOSE_GOING_AWAY, 'gateway shutting down');
      }
    }
  }

  private topicOf(execId: string): Topic {
    const existing = this.topics.get(execId);
    if (existing) return existing;
    const clients = new Set<StreamClient>();
    // Core NATS directly, not TracedNats.subscribe: a span per event and watcher would cost more
    // than the fan-out; the runner's publish spans already trace each event.
    const subscription = this.nats.connection.subscribe(Subjects.eventsOf(execId), {
      callback: (error, msg) => this.fanOut(topic, error, msg),
    });
    const topic: Topic = {
      execId,
      subscription,
      ready: this.nats.connection.flush(),
      clients,
    };
    // A failed flush is the join's to report; do not leave an unhandled rejection.
    topic.ready.catch(() => undefined);
    this.topics.set(execId, topic);
    return topic;
  }

  private fanOut(topic: Topic, error: Error | null, msg: Msg): void {
    if (error) {
      this.logger.error({ err: error, execId: topic.execId }, 'event subscription failed');
      return;
    }
    let event: EventEnvelope;
    let text: string;
    try {
      text = msg.string();
      event = JSON.parse(text) as EventEnvelope;
    } catch {
      this.logger.warn({ subject: msg.subject }, 'event is not JSON; skipped');
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return;
    // SSE frames end at a blank line: re-encode the rare event published with line breaks.
    if (text.includes('\n')) text = JSON.stringify(event);
    for (const client of topic.clients) client.offer(event, text);
  }

  private leave(client: StreamClient): void {
    const topic = this.topics.get(client.execId);
    if (!topic || !topic.clients.delete(client) || topic.clients.size > 0) return;
    this.topics.delete(client.execId);
    topic.subscription.unsubscribe();
  }
}

function snapshotItem(execId: string, snapshot: ExecutionSnapshot) {
  return controlItem('snapshot', execId, snapshot.execution.tick, snapshot);
}
