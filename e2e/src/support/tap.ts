import { type EventEnvelope, Streams, Subjects, type TickRecordMessage } from '@canopy/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

export interface Received<T> {
  data: T;
  /** W3C `traceparent` header, when the message carried one. */
  traceparent?: string;
}

/** What one execution published, in arrival order. */
export interface ExecutionFeed {
  ticks: Received<TickRecordMessage>[];
  events: Received<EventEnvelope>[];
}

/**
 * A plain NATS client subscribed (core subscriptions, as any user would) to the public subjects of
 * the executions it watches. `watch(id)` must be called, and awaited, before the execution ticks.
 */
export class NatsTap {
  private readonly feeds = new Map<string, ExecutionFeed>();
  private readonly subs: Subscription[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<NatsTap> {
    return new NatsTap(await connect({ servers: url, name: 'e2e-tap' }));
  }

  /** Subscribes `canopy.ticks.<id>` and `canopy.events.<id>.>`; resolves once the server has both. */
  async watch(id: string): Promise<ExecutionFeed> {
    const feed: ExecutionFeed = { ticks: [], events: [] };
    this.feeds.set(id, feed);
    this.subs.push(
      this.nc.subscribe(Subjects.ticks(id), {
        callback: (err, msg) => void (err || this.push(feed.ticks, msg)),
      }),
      this.nc.subscribe(Subjects.eventsOf(id), {
        callback: (err, msg) => void (err || this.push(feed.events, msg)),
      }),
    );
    await this.nc.flush();
    return feed;
  }

  feed(id: string): ExecutionFeed {
    const feed = this.feeds.get(id);
    if (!feed) throw new Error(`not watching ${id}`);
    return feed;
  }

  /**
   * Resolves once `check()` returns something other than undefined/false, re-checked on every
   * message received (no polling); fails after `timeoutMs` with `what`.
   */
  until<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        let value: T | undefined | false;
        try {
          value = check();
        } catch (error) {
          finish();
          reject(error);
          return true;
        }
        if (value === undefined || value === false) return false;
        finish();
        resolve(value);
        return true;
      };
      const waiter = () => void attempt();
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!attempt()) this.waiters.push(waiter);
    });
  }

  /** Until the execution's feed holds a tick record for tick `n` (and every event up to its tick_complete). */
  untilTick(id: string, n: number, timeoutMs = 30_000): Promise<ExecutionFeed> {
    const feed = this.feed(id);
    return this.until(
      `tick ${n} of ${id} (have ${lastTick(feed)})`,
      () =>
        feed.ticks.some((t) => t.data.tick >= n) &&
        feed.events.some((e) => e.data.type === 'tick_complete' && e.data.tick >= n) &&
        feed,
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    for (const w of this.waiters) w();
    await this.nc.drain().catch(() => undefined);
  }

  private push<T>(list: Received<T>[], msg: Msg): void {
    list.push({ data: msg.json<T>(), traceparent: msg.headers?.get('traceparent') || undefined });
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function lastTick(feed: ExecutionFeed): number {
  return feed.ticks.reduce((max, t) => Math.max(max, t.data.tick), 0);
}

/** Every tick record the `CANOPY_TICKS` stream holds for an execution, in stream order. */
export async function storedTicks(
  nc: NatsConnection,
  id: string,
  timeoutMs = 30_000,
): Promise<TickRecordMessage[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(Streams.ticks.name, { subjects_filter: Subjects.ticks(id) });
  const count = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const consumer = await jetstream(nc).consumers.get(Streams.ticks.name, {
    filter_subjects: Subjects.ticks(id),
  });
  const out: TickRecordMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    if (Date.now() > deadline)
      throw new Error(`read ${out.length} of ${count} stored ticks of ${id}`);
    const batch = await consumer.fetch({ max_messages: count - out.length, expires: 2000 });
    for await (const m of batch) out.push(m.json<TickRecordMessage>());
  }
  return out;
}
