import type { EventEnvelope, Execution } from '@canopy/contracts';
import { createLogger } from '@canopy/telemetry';
import type { ExecutionSnapshot } from '../views/execution-views';
import type { StreamClient, StreamItem, StreamSink } from './stream-client';
import {
  CLOSE_GOING_AWAY,
  type EventFeed,
  type EventWatch,
  type SnapshotSource,
  StreamHubCore,
} from './stream-hub';

/**
 * The hub with its sources under the test's control: what a real runner's timing cannot give
 * (events arriving while a snapshot is being fetched, a feed that is not ready yet).
 */

/** A promise settled by the test. */
interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits until every callback queued so far (promise continuations included) has run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Watches whose readiness the test decides, and a `publish` that delivers like the runner's. */
class ManualFeed implements EventFeed {
  readonly watches: {
    execId: string;
    deliver: (text: string, subject: string) => void;
    ready: Deferred<void>;
    stopped: boolean;
  }[] = [];

  watch(execId: string, deliver: (text: string, subject: string) => void): EventWatch {
    const entry = { execId, deliver, ready: deferred<void>(), stopped: false };
    this.watches.push(entry);
    return { ready: entry.ready.promise, stop: () => (entry.stopped = true) };
  }

  /** The all-executions watch is the one of execId `*` here. */
  watchAll(deliver: (text: string, subject: string) => void): EventWatch {
    return this.watch('*', deliver);
  }

  active(execId: string) {
    return this.watches.filter((w) => w.execId === execId && !w.stopped);
  }

  publishText(execId: string, text: string): void {
    for (const w of this.active(execId)) w.deliver(text, `canopy.events.${execId}.x`);
  }

  publish(execId: string, tick: number, seq: number, type: EventEnvelope['type']): void {
    const envelope = { execId, type, tick, seq, at: new Date(0).toISOString(), data: {} };
    this.publishText(execId, JSON.stringify(envelope));
  }
}

/** Snapshot requests, each answered when the test says so. */
class ManualSnapshots {
  readonly requests: { execId: string; answer: Deferred<ExecutionSnapshot> }[] = [];
  private waiting = deferred<void>();

  readonly source: SnapshotSource = (execId) => {
    const answer = deferred<ExecutionSnapshot>();
    this.requests.push({ execId, answer });
    this.waiting.resolve();
    return answer.promise;
  };

  /** Resolves once the `n`th request (from 1) has been made. */
  async requested(n: number): Promise<void> {
    while (this.requests.length < n) {
      await this.waiting.promise;
      this.waiting = deferred<void>();
    }
  }
}

const execution = (id: string, tick: number): Execution => ({
  id,
  tree: 't',
  version: 1,
  mode: 'manual',
  state: 'running',
  status: 'RUNNING',
  tick,
  createdAt: new Date(0).toISOString(),
  owner: 'runner-1',
});

/** A transport that writes at once and keeps what it got. */
class RecordingSink implements StreamSink {
  readonly sent: StreamItem[] = [];
  readonly closes: number[] = [];

  send(item: StreamItem, written: () => void): void {
    this.sent.push(item);
    written();
  }

  buffered(): number {
    return 0;
  }

  close(code: number): void {
    this.closes.push(code);
  }

  messages(): { type: string; tick: number; seq: number }[] {
    return this.sent.map((item) => JSON.parse(item.text));
  }

  summary(): string[] {
    return this.messages().map((m) => `${m.type}@${m.tick}.${m.seq}`);
  }
}

describe(StreamHubCore.name, () => {
  let feed: ManualFeed;
  let snapshots: ManualSnapshots;
  let hub: StreamHubCore;

  beforeEach(() => {
    feed = new ManualFeed();
    snapshots = new ManualSnapshots();
    hub = new StreamHubCore(
      feed,
      snapshots.source,
      { limits: { queue: 100, bufferBytes: 1 << 20 }, heartbeatMs: 1000 },
      createLogger('stream-hub-spec', { level: 'silent' }),
    );
  });

  const attach = (client: StreamClient) => {
    const sink = new RecordingSink();
    client.attach(sink);
    return sink;
  };

  it('collects events from before the snapshot is asked for, and keeps those it does not reflect', async () => {
    const joining = hub.join('e', {});
    expect(feed.active('e')).toHaveLength(1);
    // Not ready: events published now might not reach the watch, so no snapshot yet.
    await settle();
    expect(snapshots.requests).toHaveLength(0);
    feed.watches[0].ready.resolve();
    await snapshots.requested(1);
    expect(snapshots.requests[0].execId).toBe('e');

    // While the owner answers, ticks 1 to 3 go out; the owner's answer reflects tick 2.
    for (const tick of [1, 2, 3]) {
      feed.publish('e', tick, 0, 'tick_start');
      feed.publish('e', tick, 1, 'tick_complete');
    }
    snapshots.requests[0].answer.resolve({
      execution: execution('e', 2),
      statuses: { root: 'RUNNING' },
      statusesTick: 2,
    });
    const client = await joining;
    const sink = attach(client);
    feed.publish('e', 3, 2, 'execution_paused');

    // Tick 1 is in the snapshot; events of its own tick and later follow it, in order.
    expect(sink.summary()).toEqual([
      'snapshot@2.-1',
      'tick_start@2.0',
      'tick_complete@2.1',
      'tick_start@3.0',
      'tick_complete@3.1',
      'execution_paused@3.2',
    ]);
    expect(sink.messages()[0]).toEqual({
      type: 'snapshot',
      execId: 'e',
      tick: 2,
      seq: -1,
      at: expect.any(String),
      data: { execution: execution('e', 2), statuses: { root: 'RUNNING' }, statusesTick: 2 },
    });
  });

  it('gives a second client of a watched execution its own snapshot on the same watch', async () => {
    const first = hub.join('e', {});
    feed.watches[0].ready.resolve();
    await snapshots.requested(1);
    snapshots.requests[0].answer.resolve({ execution: execution('e', 0) });
    const a = attach(await first);

    feed.publish('e', 1, 0, 'tick_start');
    const second = hub.join('e', { events: ['tick_complete'] });
    await snapshots.requested(2);
    // Published while the second snapshot is fetched: only the first client had tick 1's start.
    feed.publish('e', 1, 1, 'tick_complete');
    snapshots.requests[1].answer.resolve({ execution: execution('e', 1) });
    const b = attach(await second);
    feed.publish('e', 2, 0, 'tick_start');
    feed.publish('e', 2, 1, 'tick_complete');

    expect(feed.watches).toHaveLength(1);
    expect(hub.watched()).toEqual({ e: 2 });
    expect(a.summary()).toEqual([
      'snapshot@0.-1',
      'tick_start@1.0',
      'tick_complete@1.1',
      'tick_start@2.0',
      'tick_complete@2.1',
    ]);
    expect(b.summary()).toEqual(['snapshot@1.-1', 'tick_complete@1.1', 'tick_complete@2.1']);
  });

  it('stops watching when the last client leaves, and watches again for the next one', async () => {
    const joins = [hub.join('e', {}), hub.join('e', {})];
    feed.watches[0].ready.resolve();
    await snapshots.requested(2);
    for (const r of snapshots.requests) r.answer.resolve({ execution: execution('e', 0) });
    const [a, b] = await Promise.all(joins);

    a.close();
    expect(hub.watched()).toEqual({ e: 1 });
    expect(feed.watches[0].stopped).toBe(false);
    b.close();
    expect(hub.watched()).toEqual({});
    expect(feed.watches[0].stopped).toBe(true);

    const again = hub.join('e', {});
    expect(feed.active('e')).toHaveLength(1);
    expect(feed.watches).toHaveLength(2);
    feed.watches[1].ready.resolve();
    await snapshots.requested(3);
    snapshots.requests[2].answer.resolve({ execution: execution('e', 0) });
    const c = attach(await again);
    feed.publish('e', 1, 0, 'tick_start');
    expect(c.summary()).toEqual(['snapshot@0.-1', 'tick_start@1.0']);
  });

  it('rejects a join whose snapshot fails and leaves nothing watched', async () => {
    const joining = hub.join('gone', {});
    feed.watches[0].ready.resolve();
    await snapshots.requested(1);
    const notFound = new Error('no execution gone');
    snapshots.requests[0].answer.reject(notFound);
    await expect(joining).rejects.toBe(notFound);
    expect(hub.watched()).toEqual({});
    expect(feed.watches[0].stopped).toBe(true);
  });

  it('rejects a join whose feed cannot start, without asking for a snapshot', async () => {
    const joining = hub.join('e', {});
    const down = new Error('connection closed');
    feed.watches[0].ready.reject(down);
    await expect(joining).rejects.toBe(down);
    expect(snapshots.requests).toHaveLength(0);
    expect(hub.watched()).toEqual({});
  });

  it('skips what is not an event and re-encodes events published with line breaks', async () => {
    const joining = hub.join('e', {});
    feed.watches[0].ready.resolve();
    await snapshots.requested(1);
    snapshots.requests[0].answer.resolve({ execution: execution('e', 0) });
    const sink = attach(await joining);

    feed.publishText('e', '{not json');
    feed.publishText('e', '"a string"');
    const pretty = JSON.stringify(
      { execId: 'e', type: 'log', tick: 1, seq: 0, at: '', data: { message: 'a' } },
      null,
      2,
    );
    feed.publishText('e', pretty);
    expect(sink.summary()).toEqual(['snapshot@0.-1', 'log@1.0']);
    expect(sink.sent[1].text).toBe(JSON.stringify(JSON.parse(pretty)));
  });

  it('closes every client with the given code', async () => {
    const joins = [hub.join('a', {}), hub.join('b', {})];
    for (const w of feed.watches) w.ready.resolve();
    await snapshots.requested(2);
    for (const r of snapshots.requests) {
      r.answer.resolve({ execution: execution(r.execId, 0) });
    }
    const sinks = (await Promise.all(joins)).map(attach);
    hub.closeAll(CLOSE_GOING_AWAY, 'bye');
    expect(sinks.map((s) => s.closes)).toEqual([[CLOSE_GOING_AWAY], [CLOSE_GOING_AWAY]]);
    expect(hub.watched()).toEqual({});
    expect(feed.watches.every((w) => w.stopped)).toBe(true);
  });

  it('refuses one client more than maxClientsPerExecution with TOO_MANY_STREAM_CLIENTS, per execution', async () => {
    const limited = new StreamHubCore(
      feed,
      snapshots.source,
      { limits: { queue: 100, bufferBytes: 1 << 20 }, heartbeatMs: 1000, maxClientsPerExecution: 2 },
      createLogger('stream-hub-spec', { level: 'silent' }),
    );
    const joins = [limited.join('a', {}), limited.join('a', {}), limited.join('b', {})];
    for (const w of feed.watches) w.ready.resolve();
    await snapshots.requested(3);
    for (const r of snapshots.requests) r.answer.resolve({ execution: execution(r.execId, 0) });
    const [first] = await Promise.all(joins);
    await expect(limited.join('a', {})).rejects.toMatchObject({ code: 'TOO_MANY_STREAM_CLIENTS', httpStatus: 429 });
    expect(limited.watched()).toEqual({ a: 2, b: 1 });
    first.close();
    const again = limited.join('a', {});
    await snapshots.requested(4);
    snapshots.requests[3].answer.resolve({ execution: execution('a', 0) });
    await expect(again).resolves.toBeDefined();
    expect(limited.watched()).toEqual({ a: 2, b: 1 });
  });
});
