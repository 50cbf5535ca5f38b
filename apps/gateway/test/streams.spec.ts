import {
  type EventEnvelope,
  type EventPayloads,
  type EventType,
  type Execution,
  Subjects,
  type TreeRecord,
} from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { GatewayConfigSchema } from '../src/config';
import { createGateway } from '../src/service';
import { StreamHub } from '../src/streams/stream-hub';
import { type Harness, startHarness } from './gateway-harness';
import { openSse, openWs, RefusedError, type StreamMessage, type WsClient } from './stream-clients';

/**
 * Live streams against real NATS, with a stand-in runner on the bus: it answers the owner's `get`,
 * `exec.get` and `trees.get` like a runner would, and the test publishes EventEnvelopes on
 * `canopy.events.<id>.<type>` exactly as the runner's publisher does.
 */
const QUEUE_LIMIT = 20;

const TREE: TreeRecord = {
  name: 'demo',
  version: 1,
  nodeCount: 3,
  createdAt: new Date(0).toISOString(),
  trees: ['demo'],
  source: '(tree "demo" (sequence :id "root" (success :id "n1") (wait :id "n2" :ms 10)))\n',
  definition: {
    format: 'canopy/1',
    trees: [
      {
        name: 'demo',
        root: {
          type: 'sequence',
          id: 'root',
          children: [
            { type: 'success', id: 'n1' },
            { type: 'wait', id: 'n2', kwargs: { ms: 10 } },
          ],
        },
      },
    ],
  },
};

function execution(id: string, tick = 0): Execution {
  return {
    id,
    tree: 'demo',
    version: 1,
    mode: 'manual',
    state: 'running',
    status: 'RUNNING',
    tick,
    createdAt: new Date(0).toISOString(),
    owner: 'fake-runner',
  };
}

/** Stands in for the runners on the request subjects the streams use. */
class FakeRunner {
  readonly executions = new Map<string, Execution>();
  /** When set, the owner's `get` waits for it: the test acts while a snapshot is being fetched. */
  holdGet?: { requested: () => void; release: Promise<void> };

  constructor(private readonly nc: NatsConnection) {
    nc.subscribe('canopy.cmd.*.*', {
      callback: (_e, msg) => {
        const id = msg.subject.split('.').pop() as string;
        const command = msg.json<{ type: string }>();
        if (command.type !== 'get') {
          msg.respond(JSON.stringify({ queued: true }));
          return;
        }
        const hold = this.holdGet;
        this.holdGet = undefined;
        const answer = () => void msg.respond(JSON.stringify(this.find(id)));
        if (!hold) return answer();
        hold.requested();
        void hold.release.then(answer);
      },
    });
    nc.subscribe(Subjects.execGet, {
      callback: (_e, msg) => {
        msg.respond(JSON.stringify(this.find(msg.json<{ id: string }>().id)));
      },
    });
    nc.subscribe(Subjects.treesGet, {
      callback: (_e, msg) => {
        const { name } = msg.json<{ name: string }>();
        msg.respond(
          JSON.stringify(
            name === TREE.name ? TREE : { error: { code: 'TREE_NOT_FOUND', message: name } },
          ),
        );
      },
    });
  }

  private find(id: string): unknown {
    return (
      this.executions.get(id) ?? {
        error: { code: 'EXECUTION_NOT_FOUND', message: `no execution ${id}` },
      }
    );
  }

  ready(): Promise<void> {
    return this.nc.flush();
  }
}

describe('live streams', () => {
  let harness: Harness;
  let base: string;
  let nc: NatsConnection;
  let runner: FakeRunner;

  beforeAll(async () => {
    harness = await startHarness({
      OWNER_RETRY_BUDGET_MS: '200',
      STREAM_QUEUE_LIMIT: String(QUEUE_LIMIT),
      STREAM_BUFFER_BYTES: '16384',
    });
    await harness.gateway.listen({ port: 0, host: '127.0.0.1' });
    base = (await harness.gateway.getUrl()).replace('[::1]', '127.0.0.1');
    nc = await connect({ servers: harness.nats.url });
    runner = new FakeRunner(nc);
    await runner.ready();
  });

  afterAll(async () => {
    await nc?.drain();
    await harness?.dispose();
  });

  const wsUrl = (id: string, query = '') =>
    `${base.replace(/^http/, 'ws')}/executions/${id}/ws${query}`;
  const sseUrl = (id: string, query = '') => `${base}/executions/${id}/events${query}`;

  /** Publishes as the runner's publisher does: one core message per event, in order. */
  function publisher(id: string) {
    let seq = 0;
    let tick = 0;
    return {
      tick(n: number) {
        tick = n;
        seq = 0;
      },
      emit<T extends EventType>(type: T, data: EventPayloads[T]): EventEnvelope<T> {
        const envelope: EventEnvelope<T> = {
          execId: id,
          type,
          tick,
          seq: seq++,
          at: new Date().toISOString(),
          data,
        };
        nc.publish(Subjects.event(id, type), JSON.stringify(envelope));
        return envelope;
      },
    };
  }

  /** One tick of the demo tree: n1 succeeds, n2 waits, then the root status. */
  function publishTick(
    pub: ReturnType<typeof publisher>,
    n: number,
    rootStatus: 'RUNNING' | 'FAILURE',
  ) {
    pub.tick(n);
    pub.emit('tick_start', { startedAt: n * 100 });
    pub.emit('node_update', { nodeId: 'n1', from: 'IDLE', to: 'SUCCESS' });
    pub.emit('node_update', { nodeId: 'n2', from: 'IDLE', to: rootStatus });
    pub.emit('blackboard_update', { key: 'battery', scope: 'exec:x', value: 90 - n, old: 91 - n });
    pub.emit('progress', { nodeId: 'n2', step: 'waiting', percent: 50 });
    pub.emit('tick_complete', { status: rootStatus, durationMs: 0.1, changes: 2, writes: 1 });
  }

  const events = (messages: StreamMessage[]) =>
    messages.filter((m) => !['snapshot', 'subscribed', 'dropped'].includes(m.type));
  const summary = (messages: StreamMessage[]) =>
    events(messages).map(
      (m) =>
        `${m.tick}:${m.type}${m.type === 'node_update' ? `:${m.data.nodeId}>${m.data.to}` : ''}${m.type === 'tick_complete' ? `:${m.data.status}` : ''}`,
    );

  it('gives two WebSocket clients with different filters exactly their events', async () => {
    const id = 'ws-filters';
    runner.executions.set(id, execution(id));
    const byQuery = await openWs(wsUrl(id, '?events=node_update,tick_complete&nodeIds=n1'));
    const byMessage = await openWs(wsUrl(id));
    const everything = await openWs(wsUrl(id));
    try {
      for (const c of [byQuery, byMessage, everything])
        await c.inbox.first('snapshot', (m) => m.type === 'snapshot');
      byMessage.send({
        action: 'subscribe',
        events: ['node_update', 'tick_complete', 'blackboard_update'],
        filters: { statuses: ['FAILURE'] },
      });
      const ack = await byMessage.inbox.first('subscribed', (m) => m.type === 'subscribed');
      expect(ack.data).toEqual({
        events: ['node_update', 'tick_complete', 'blackboard_update'],
        statuses: ['FAILURE'],
      });

      const pub = publisher(id);
      publishTick(pub, 1, 'RUNNING');
      publishTick(pub, 2, 'FAILURE');
      pub.emit('execution_completed', { status: 'FAILURE' });
      await everything.inbox.until('the last event', (m) =>
        m.some((e) => e.type === 'execution_completed'),
      );
      // Everything was published before the last event, in order, on one connection.
      await byQuery.inbox.until('tick 2', (m) =>
        m.some((e) => e.tick === 2 && e.type === 'tick_complete'),
      );
      await byMessage.inbox.until('tick 2', (m) =>
        m.some((e) => e.tick === 2 && e.type === 'tick_complete'),
      );

      expect(summary(byQuery.inbox.messages)).toEqual([
        '1:node_update:n1>SUCCESS',
        '1:tick_complete:RUNNING',
        '2:node_update:n1>SUCCESS',
        '2:tick_complete:FAILURE',
      ]);
      // Statuses narrow node_update (by `to`) and tick_complete; blackboard_update passes.
      expect(summary(byMessage.inbox.messages)).toEqual([
        '1:blackboard_update',
        '2:node_update:n2>FAILURE',
        '2:blackboard_update',
        '2:tick_complete:FAILURE',
      ]);
      expect(events(everything.inbox.messages)).toHaveLength(13);
      expect(everything.inbox.messages[0].type).toBe('snapshot');
      // The envelope goes out as the runner published it.
      const update = everything.inbox.messages.find((m) => m.type === 'blackboard_update');
      expect(update).toEqual({
        execId: id,
        type: 'blackboard_update',
        tick: 1,
        seq: 3,
        at: expect.any(String),
        data: { key: 'battery', scope: 'exec:x', value: 89, old: 90 },
      });
    } finally {
      await Promise.all([byQuery.close(), byMessage.close(), everything.close()]);
    }
  });

  it('answers bad client messages with an error message and keeps the socket', async () => {
    const id = 'ws-bad-messages';
    runner.executions.set(id, execution(id));
    const client = await openWs(wsUrl(id));
    try {
      client.ws.send('{not json');
      client.send({ action: 'subscribe', events: ['tick_begin'] });
      client.send({ action: 'snapshot' });
      await client.inbox.until(
        'two errors and a second snapshot',
        (m) => m.filter((e) => e.type === 'snapshot').length === 2,
      );
      const errors = client.inbox.messages.filter((m) => m.type === 'error');
      expect(errors.map((e) => e.data.code)).toEqual(['BAD_JSON', 'VALIDATION_FAILED']);
      expect(errors[1].data.message).toContain('events.0');
    } finally {
      await client.close();
    }
  });

  it('streams the same events as Server-Sent Events to a plain HTTP client', async () => {
    const id = 'sse';
    runner.executions.set(id, execution(id, 4));
    const sse = await openSse(sseUrl(id, '?events=tick_start,tick_complete,execution_paused'));
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const snapshot = await sse.inbox.first('snapshot', (m) => m.type === 'snapshot');
      expect(snapshot).toMatchObject({ tick: 4, seq: -1, data: { execution: { id, tick: 4 } } });
      expect(snapshot.id).toBeUndefined();

      const pub = publisher(id);
      publishTick(pub, 5, 'RUNNING');
      pub.emit('execution_paused', {});
      await sse.inbox.until('the pause', (m) => m.some((e) => e.type === 'execution_paused'));
      expect(sse.inbox.messages.slice(1).map((m) => `${m.id} ${m.type}`)).toEqual([
        '5-0 tick_start',
        '5-5 tick_complete',
        '5-6 execution_paused',
      ]);
    } finally {
      sse.close();
    }
  });

  it('validates and answers unknown executions before streaming', async () => {
    const bad = await harness.gateway.inject({
      method: 'GET',
      url: '/executions/sse/events?events=tick_begin&statuses=DONE',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields.map((f: { field: string }) => f.field)).toEqual([
      'events.0',
      'statuses.0',
    ]);
    const missing = await harness.gateway.inject({
      method: 'GET',
      url: '/executions/nobody/events',
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('EXECUTION_NOT_FOUND');

    for (const [url, status, code] of [
      [wsUrl('nobody'), 404, 'EXECUTION_NOT_FOUND'],
      [wsUrl('ws-filters', '?statuses=DONE'), 400, 'VALIDATION_FAILED'],
      [wsUrl('bad id'), 400, 'VALIDATION_FAILED'],
    ] as const) {
      const refused = await openWs(url).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(RefusedError);
      expect((refused as RefusedError).status).toBe(status);
      expect((await (refused as RefusedError).body()).error.code).toBe(code);
    }
    const plain = await harness.gateway.inject({ method: 'GET', url: '/executions/ws-filters/ws' });
    expect(plain.statusCode).toBe(400);
  });

  it('gives a late joiner the current state first, then only what follows it', async () => {
    const id = 'late';
    runner.executions.set(id, execution(id, 0));
    const early = await openWs(wsUrl(id));
    let late: WsClient | undefined;
    try {
      await early.inbox.first('snapshot', (m) => m.type === 'snapshot');
      const pub = publisher(id);
      publishTick(pub, 1, 'RUNNING');

      // The late client's snapshot is fetched while ticks 2 and 3 go out; the owner says tick 2.
      let requested!: () => void;
      const getRequested = new Promise<void>((resolve) => (requested = resolve));
      let release!: () => void;
      runner.holdGet = { requested, release: new Promise<void>((resolve) => (release = resolve)) };
      const joining = openWs(wsUrl(id));
      await getRequested;
      publishTick(pub, 2, 'RUNNING');
      publishTick(pub, 3, 'RUNNING');
      await nc.flush();
      await early.inbox.until('tick 3', (m) =>
        m.some((e) => e.tick === 3 && e.type === 'tick_complete'),
      );
      runner.executions.set(id, execution(id, 2));
      release();
      late = await joining;

      pub.emit('execution_paused', {});
      await late.inbox.until('the pause', (m) => m.some((e) => e.type === 'execution_paused'));
      const [snapshot, ...rest] = late.inbox.messages;
      expect(snapshot).toMatchObject({
        type: 'snapshot',
        execId: id,
        tick: 2,
        data: {
          execution: { id, tick: 2, state: 'running' },
          // No runner wrote tick records here: the tree as built, every node IDLE.
          statuses: { root: 'IDLE', n1: 'IDLE', n2: 'IDLE' },
          statusesTick: 0,
        },
      });
      // Tick 1 is in the snapshot; events of its tick and later that raced it follow it.
      expect(rest.map((m) => m.tick)).toEqual([...Array(6).fill(2), ...Array(6).fill(3), 3]);
      expect(summary(early.inbox.messages)).toHaveLength(19);
    } finally {
      await Promise.all([early.close(), late?.close()]);
    }
  });

  it('skips the oldest events of a client that does not read, with a dropped marker, and nobody else waits', async () => {
    const id = 'slow';
    runner.executions.set(id, execution(id));
    const slow = await openWs(wsUrl(id));
    const fast = await openWs(wsUrl(id));
    try {
      await slow.inbox.first('snapshot', (m) => m.type === 'snapshot');
      await fast.inbox.first('snapshot', (m) => m.type === 'snapshot');
      // Stop reading: the TCP window fills, then the gateway's buffer, then its queue.
      slow.ws.pause();
      const pub = publisher(id);
      // 40 MB in all: more than the kernel buffers of the slow client's connection can hold.
      const total = 600;
      const batch = QUEUE_LIMIT / 2;
      const big = 'x'.repeat(64 * 1024);
      for (let n = 1; n <= total; n++) {
        pub.tick(n);
        pub.emit('blackboard_update', { key: 'blob', scope: `exec:${id}`, value: big });
        // Paced by the fast client, which must never lag a whole queue behind.
        if (n % batch === 0) await fast.inbox.until(`event ${n}`, (m) => events(m).length === n);
      }
      expect(fast.inbox.types()).not.toContain('dropped');
      expect(events(fast.inbox.messages).map((m) => m.tick)).toEqual(
        Array.from({ length: total }, (_, i) => i + 1),
      );

      slow.ws.resume();
      await slow.inbox.until('the last event', (m) => m.some((e) => e.tick === total), 20_000);
      const markers = slow.inbox.messages.filter((m) => m.type === 'dropped');
      const delivered = events(slow.inbox.messages);
      expect(markers.length).toBeGreaterThan(0);
      const dropped = markers.reduce((sum, m) => sum + (m.data.count as number), 0);
      // Every event is either delivered or counted, in order, and the newest ones made it.
      expect(delivered.length + dropped).toBe(total);
      expect(delivered.length).toBeLessThan(total);
      const ticks = slow.inbox.messages.filter((m) => m.type !== 'snapshot').map((m) => m.tick);
      expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
      expect(delivered.slice(-QUEUE_LIMIT).map((m) => m.tick)).toEqual(
        Array.from({ length: QUEUE_LIMIT }, (_, i) => total - QUEUE_LIMIT + 1 + i),
      );
      // The marker says up to which event it skipped: the one before the next delivered.
      const at = slow.inbox.messages.indexOf(markers[markers.length - 1]);
      expect(slow.inbox.messages[at + 1].tick).toBe(markers[markers.length - 1].tick + 1);
    } finally {
      await Promise.all([slow.close(), fast.close()]);
    }
  });

  it('subscribes once per watched execution and unsubscribes when its last client leaves', async () => {
    const hub = harness.gateway.get(StreamHub);
    const id = 'shared';
    runner.executions.set(id, execution(id));
    const a = await openWs(wsUrl(id));
    const b = await openSse(sseUrl(id));
    await b.inbox.first('snapshot', (m) => m.type === 'snapshot');
    expect(hub.watched()[id]).toBe(2);
    await a.close();
    b.close();
    const deadline = Date.now() + 5000;
    // The server learns of the closes asynchronously; there is no event to await here.
    while (hub.watched()[id] !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(hub.watched()[id]).toBeUndefined();
  });

  it('closes every stream when the gateway shuts down', async () => {
    const env = {
      NATS_URL: harness.nats.url,
      REDIS_URL: harness.redis.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
    };
    const gateway = await createGateway(
      loadConfig(GatewayConfigSchema, env),
      createLogger('gateway-spec', { level: 'silent' }),
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const url = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
    const id = 'shutdown';
    runner.executions.set(id, execution(id));
    const ws = await openWs(`${url.replace(/^http/, 'ws')}/executions/${id}/ws`);
    const sse = await openSse(`${url}/executions/${id}/events`);
    await ws.inbox.first('snapshot', (m) => m.type === 'snapshot');
    await sse.inbox.first('snapshot', (m) => m.type === 'snapshot');
    const closed = new Promise<number>((resolve) => ws.ws.once('close', (code) => resolve(code)));
    await gateway.close();
    expect(await closed).toBe(1001);
    await sse.ended;
  });
});
