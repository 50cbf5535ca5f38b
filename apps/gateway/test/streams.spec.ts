import { readFileSync } from 'node:fs';
import { Streams, Subjects, type TickRecordMessage } from '@canopy/contracts';
import { TracedNats } from '@canopy/telemetry';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { StreamHub } from '../src/streams/stream-hub';
import { createTestGateway, type Harness, startHarness } from './gateway-harness';
import { type RunnerProcess, startRunner } from './runner-process';
import { openSse, openWs, RefusedError, type StreamMessage } from './stream-clients';

/**
 * Live streams end to end: real NATS, Redis, blackboard service and tick runner (in-process),
 * executions created and ticked through the gateway's REST routes, so every event is one the
 * runner published for a real tick. What needs control over timing a runner cannot give (events
 * racing a snapshot) is in src/streams/stream-hub.spec.ts.
 */
const QUEUE_LIMIT = 20;
const BUFFER_BYTES = 16 * 1024;

/**
 * Counts its ticks in `n`: tick 1 runs (the wait holds it), later ticks fail at "low" (halting
 * the wait). Every tick writes, logs and reports progress.
 */
const MIXED = `(tree "mixed"
  (reactive-sequence :id "root"
    (set "n" (+ (get "n" 0) 1))
    (log "tick" $n)
    (progress "counted" (* $n 10))
    (condition :id "low" (< $n 2))
    (wait :id "hold" :ms 600000)))
`;

/** Big events: each tick rewrites "blob" (value and old value in the event) and logs it. */
const BLOB = `(tree "blob"
  (sequence :id "root"
    (set "blob" (str (tick) $seed))
    (log "blob" $blob)))
`;

type Filter = { events?: string[]; nodeIds?: string[]; statuses?: string[] };

/** The filter rules of docs/streams.md, applied to a runner event. */
function passes(m: StreamMessage, f: Filter): boolean {
  if (f.events && !f.events.includes(m.type)) return false;
  if (m.type === 'node_update') {
    if (f.nodeIds && !f.nodeIds.includes(m.data.nodeId as string)) return false;
    if (f.statuses && !f.statuses.includes(m.data.to as string)) return false;
  }
  if (m.type === 'tick_complete' && f.statuses && !f.statuses.includes(m.data.status as string)) {
    return false;
  }
  return true;
}

/** The events the runner derives from a tick record, in its order (docs/architecture.md). */
function eventsOf(r: TickRecordMessage) {
  const scope = (s: string) => (s === 'exec' ? `exec:${r.execId}` : s);
  const list: [string, Record<string, unknown>][] = [
    ['tick_start', { startedAt: r.startedAt }],
    ...r.nodes.map((n): [string, Record<string, unknown>] => [
      'node_update',
      { nodeId: n.id, from: n.from, to: n.to },
    ]),
    ...r.writes.map((w): [string, Record<string, unknown>] => [
      'blackboard_update',
      {
        key: w.key,
        scope: scope(w.scope),
        ...('new' in w ? { value: w.new } : {}),
        ...('old' in w ? { old: w.old } : {}),
      },
    ]),
    ...r.logs.map((l): [string, Record<string, unknown>] => [
      'log',
      { nodeId: l.nodeId, message: l.message, values: l.values },
    ]),
    ...r.progress.map((p): [string, Record<string, unknown>] => [
      'progress',
      { nodeId: p.nodeId, step: p.step, percent: p.percent },
    ]),
    ...r.errors.map((e): [string, Record<string, unknown>] => [
      'error',
      { nodeId: e.nodeId, code: e.code, message: e.message },
    ]),
    [
      'tick_complete',
      {
        status: r.status,
        durationMs: r.durationMs,
        changes: r.nodes.length,
        writes: r.writes.length,
      },
    ],
  ];
  return list.map(([type, data], seq) => ({
    execId: r.execId,
    type,
    tick: r.tick,
    seq,
    at: expect.any(String),
    data,
  }));
}

/** Runner events only (not the gateway's snapshot, subscribed, dropped, error). */
const events = (messages: StreamMessage[]) => messages.filter((m) => m.seq >= 0);
const summary = (messages: StreamMessage[]) =>
  events(messages).map(
    (m) =>
      `${m.tick}:${m.type}${m.type === 'node_update' ? `:${m.data.nodeId}>${m.data.to}` : ''}${m.type === 'tick_complete' ? `:${m.data.status}` : ''}`,
  );
const tickDone = (tick: number) => (m: StreamMessage[]) =>
  m.some((e) => e.type === 'tick_complete' && e.tick === tick);
const isSnapshot = (m: StreamMessage) => m.type === 'snapshot';

/** Bytes a receiver's kernel buffers can hold at most (what a reader that stops reading absorbs). */
function kernelBufferBytes(): number {
  const max = (file: string) => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
    } catch {
      return Number.NaN;
    }
  };
  const total = max('/proc/sys/net/ipv4/tcp_rmem') + max('/proc/sys/net/ipv4/tcp_wmem');
  return Number.isFinite(total) ? total : 64 * 1024 * 1024;
}

describe('live streams with the real tick runner', () => {
  let harness: Harness;
  let runner: RunnerProcess;
  let base: string;
  /** A watcher on NATS, like `nats sub`: reads the tick records. */
  let nc: NatsConnection;

  beforeAll(async () => {
    harness = await startHarness({
      STREAM_QUEUE_LIMIT: String(QUEUE_LIMIT),
      STREAM_BUFFER_BYTES: String(BUFFER_BYTES),
      // A client that stops reading must not be dropped by the heartbeat during a test.
      STREAM_HEARTBEAT_MS: '600000',
    });
    runner = await startRunner({ nats: harness.nats.url, redis: harness.redis.url });
    await harness.gateway.listen({ port: 0, host: '127.0.0.1' });
    base = (await harness.gateway.getUrl()).replace('[::1]', '127.0.0.1');
    nc = await connect({ servers: harness.nats.url });
    for (const source of [MIXED, BLOB]) {
      expect((await call('POST', '/trees', { source })).statusCode).toBe(201);
    }
  });

  afterAll(async () => {
    await nc?.drain();
    await runner?.stop();
    await harness?.dispose();
  });

  async function call(method: 'GET' | 'POST', url: string, payload?: unknown) {
    return harness.gateway.inject({
      method,
      url,
      ...(payload === undefined
        ? {}
        : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
    });
  }

  async function create(id: string, tree: string, blackboard?: Record<string, unknown>) {
    const res = await call('POST', '/executions', { tree, id, ...(blackboard && { blackboard }) });
    expect(res.statusCode).toBe(201);
  }

  /** Ticks through the gateway; resolves once the runner completed (and published) the ticks. */
  async function tick(id: string, count = 1): Promise<{ tick: number; status: string }> {
    const res = await call('POST', `/executions/${id}/tick`, { count });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function stop(id: string) {
    expect((await call('POST', `/executions/${id}/stop`)).statusCode).toBe(200);
  }

  /** The execution's tick records on `canopy.ticks.<id>`, oldest first. */
  async function tickRecords(id: string, count: number): Promise<TickRecordMessage[]> {
    const consumer = await jetstream(nc).consumers.get(Streams.ticks.name, {
      filter_subjects: Subjects.ticks(id),
    });
    const out: TickRecordMessage[] = [];
    const deadline = Date.now() + 10_000;
    while (out.length < count && Date.now() < deadline) {
      const batch = await consumer.fetch({ max_messages: count - out.length, expires: 1000 });
      for await (const m of batch) out.push(m.json<TickRecordMessage>());
    }
    expect(out.map((r) => r.tick)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    return out;
  }

  const wsUrl = (id: string, query = '') =>
    `${base.replace(/^http/, 'ws')}/executions/${id}/ws${query}`;
  const sseUrl = (id: string, query = '') => `${base}/executions/${id}/events${query}`;

  it('gives two WebSocket clients with different filters exactly their events', async () => {
    const id = 'ws-filters';
    await create(id, 'mixed');
    const queryFilter: Filter = { events: ['node_update', 'tick_complete'], nodeIds: ['low'] };
    const messageFilter: Filter = {
      events: ['node_update', 'tick_complete', 'blackboard_update'],
      statuses: ['FAILURE'],
    };
    const byQuery = await openWs(wsUrl(id, '?events=node_update,tick_complete&nodeIds=low'));
    const byMessage = await openWs(wsUrl(id));
    const everything = await openWs(wsUrl(id));
    try {
      for (const c of [byQuery, byMessage, everything]) await c.inbox.first('snapshot', isSnapshot);
      byMessage.send({
        action: 'subscribe',
        events: messageFilter.events,
        filters: { statuses: messageFilter.statuses },
      });
      const ack = await byMessage.inbox.first('subscribed', (m) => m.type === 'subscribed');
      expect(ack.data).toEqual(messageFilter);

      expect(await tick(id)).toMatchObject({ tick: 1, status: 'RUNNING' });
      expect(await tick(id, 2)).toMatchObject({ tick: 3, status: 'FAILURE' });
      await stop(id);
      await everything.inbox.first('the stop', (m) => m.type === 'execution_stopped');

      // The unfiltered client got every event of the three tick records, as the runner made them,
      // and the lifecycle events after their tick's: tick 2 failed the root, which completes a
      // manual execution (a manual tick still runs it again).
      const records = await tickRecords(id, 3);
      const [one, two, three] = records.map(eventsOf);
      const lifecycle = (type: string, tick: number, seq: number, data = {}) => ({
        execId: id,
        type,
        tick,
        seq,
        at: expect.any(String),
        data,
      });
      const all = events(everything.inbox.messages);
      expect(all).toEqual([
        ...one,
        ...two,
        lifecycle('execution_completed', 2, two.length, { status: 'FAILURE' }),
        ...three,
        lifecycle('execution_stopped', 3, three.length),
      ]);
      expect(everything.inbox.types()[0]).toBe('snapshot');

      // Each filtered client got exactly the matching ones, in the same order.
      const forQuery = all.filter((m) => passes(m, queryFilter));
      const forMessage = all.filter((m) => passes(m, messageFilter));
      await byQuery.inbox.until('its events', (m) => events(m).length >= forQuery.length);
      await byMessage.inbox.until('its events', (m) => events(m).length >= forMessage.length);
      expect(events(byQuery.inbox.messages)).toEqual(forQuery);
      expect(events(byMessage.inbox.messages)).toEqual(forMessage);
      expect(byQuery.inbox.types()[0]).toBe('snapshot');
      expect(byMessage.inbox.types().slice(0, 2)).toEqual(['snapshot', 'subscribed']);

      // The filters had something to keep and something to leave out.
      expect(summary(byQuery.inbox.messages)).toEqual(
        expect.arrayContaining([
          '1:node_update:low>SUCCESS',
          '1:tick_complete:RUNNING',
          '2:node_update:low>FAILURE',
          '2:tick_complete:FAILURE',
          '3:tick_complete:FAILURE',
        ]),
      );
      expect(summary(byQuery.inbox.messages).every((s) => /:low>|tick_complete/.test(s))).toBe(
        true,
      );
      // Statuses narrow node_update (by `to`) and tick_complete; blackboard_update passes.
      const got = summary(byMessage.inbox.messages);
      expect(got).toEqual(
        expect.arrayContaining([
          '1:blackboard_update',
          '2:node_update:low>FAILURE',
          '2:node_update:root>FAILURE',
          '2:blackboard_update',
          '2:tick_complete:FAILURE',
          '3:blackboard_update',
          '3:tick_complete:FAILURE',
        ]),
      );
      expect(got.filter((s) => /RUNNING|SUCCESS|IDLE|log|progress|tick_start/.test(s))).toEqual([]);
      expect(all.some((m) => m.type === 'tick_complete' && m.data.status === 'RUNNING')).toBe(true);
    } finally {
      await Promise.all([byQuery.close(), byMessage.close(), everything.close()]);
    }
  });

  it('answers bad client messages with an error message and keeps the socket', async () => {
    const id = 'ws-bad-messages';
    await create(id, 'mixed');
    const client = await openWs(wsUrl(id));
    try {
      client.ws.send('{not json');
      client.send({ action: 'subscribe', events: ['tick_begin'] });
      client.send({ action: 'snapshot' });
      await client.inbox.until(
        'two errors and a second snapshot',
        (m) => m.filter(isSnapshot).length === 2,
      );
      const errors = client.inbox.messages.filter((m) => m.type === 'error');
      expect(errors.map((e) => e.data.code)).toEqual(['BAD_JSON', 'VALIDATION_FAILED']);
      expect(errors[1].data.message).toContain('events.0');
      // Still served: the next tick arrives.
      await tick(id);
      await client.inbox.until('tick 1', tickDone(1));
    } finally {
      await client.close();
    }
  });

  it('streams the same events as Server-Sent Events to a plain HTTP client', async () => {
    const id = 'sse';
    await create(id, 'mixed');
    await tick(id, 4);
    const sse = await openSse(sseUrl(id, '?events=tick_start,tick_complete,execution_stopped'));
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const snapshot = await sse.inbox.first('snapshot', isSnapshot);
      expect(snapshot).toMatchObject({
        type: 'snapshot',
        execId: id,
        tick: 4,
        seq: -1,
        data: { execution: { id, tick: 4, owner: 'runner-1' }, statusesTick: 4 },
      });
      expect(snapshot.id).toBeUndefined();

      await tick(id);
      await stop(id);
      await sse.inbox.first('the stop', (m) => m.type === 'execution_stopped');
      const record = (await tickRecords(id, 5))[4];
      const derived = eventsOf(record);
      const complete = derived[derived.length - 1];
      expect(sse.inbox.messages.slice(1).map((m) => `${m.id} ${m.type}`)).toEqual([
        '5-0 tick_start',
        `5-${complete.seq} tick_complete`,
        `5-${complete.seq + 1} execution_stopped`,
      ]);
      expect(complete.seq).toBeGreaterThan(1);
      const { id: _frame, ...start } = sse.inbox.messages[1];
      expect(start).toEqual(derived[0]);
      const { id: _frame2, ...completed } = sse.inbox.messages[2];
      expect(completed).toEqual(complete);
      // A stopped execution has nothing more to say: the server ends the stream (curl returns).
      await sse.ended;
      // Joining it afterwards gives its snapshot, then the end.
      const late = await openSse(sseUrl(id));
      await late.ended;
      expect(late.inbox.messages.map((m) => m.type)).toEqual(['snapshot']);
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
    expect(harness.gateway.get(StreamHub).watched()).not.toHaveProperty('nobody');
  });

  it('gives a late joiner the current state first, then only what follows it', async () => {
    const id = 'late';
    await create(id, 'mixed');
    const early = await openWs(wsUrl(id));
    try {
      const first = await early.inbox.first('snapshot', isSnapshot);
      expect(first.data).toMatchObject({ execution: { id, tick: 0 }, statusesTick: 0 });
      const initial = first.data.statuses as Record<string, string>;
      expect(Object.values(initial).every((s) => s === 'IDLE')).toBe(true);

      await tick(id, 2);
      await early.inbox.until('tick 2', tickDone(2));
      const late = await openWs(wsUrl(id));
      try {
        await late.inbox.first('snapshot', isSnapshot);
        await tick(id);
        await stop(id);
        await late.inbox.first('the stop', (m) => m.type === 'execution_stopped');
        await early.inbox.first('the stop', (m) => m.type === 'execution_stopped');

        // The snapshot: where ticks 1 and 2 left every node, as the early client saw them change.
        const statuses = { ...initial };
        for (const m of events(early.inbox.messages)) {
          if (m.type === 'node_update' && m.tick <= 2) {
            statuses[m.data.nodeId as string] = m.data.to as string;
          }
        }
        const [snapshot, ...rest] = late.inbox.messages;
        expect(snapshot).toEqual({
          type: 'snapshot',
          execId: id,
          tick: 2,
          seq: -1,
          at: expect.any(String),
          data: {
            execution: expect.objectContaining({
              id,
              tick: 2,
              status: 'FAILURE',
              owner: 'runner-1',
            }),
            statuses,
            statusesTick: 2,
          },
        });
        expect(statuses).toMatchObject({ root: 'FAILURE', low: 'FAILURE', hold: 'IDLE' });
        // Then exactly what the early client got after tick 2: tick 3 and the stop.
        const later = events(early.inbox.messages).filter((m) => m.tick > 2);
        expect(later.map((m) => m.type)).toContain('tick_complete');
        expect(rest).toEqual(later);
        expect(later[later.length - 1].type).toBe('execution_stopped');
      } finally {
        await late.close();
      }
    } finally {
      await early.close();
    }
  });

  it('skips the oldest events of a client that does not read, with a dropped marker, and nobody else waits', async () => {
    const id = 'slow';
    await create(id, 'blob', { seed: 'x'.repeat(128 * 1024) });
    const slow = await openWs(wsUrl(id));
    const fast = await openWs(wsUrl(id));
    try {
      await slow.inbox.first('snapshot', isSnapshot);
      await fast.inbox.first('snapshot', isSnapshot);
      // Stop reading: the TCP window fills, then the gateway's buffer, then its queue.
      slow.ws.pause();
      // More than the kernel buffers of the slow connection can hold, with the queue on top.
      const budget = kernelBufferBytes() + BUFFER_BYTES;
      let bytes = 0;
      let ticks = 0;
      while (bytes <= budget || ticks < 2 * QUEUE_LIMIT) {
        const n = ++ticks;
        expect((await tick(id)).tick).toBe(n);
        // Paced by the fast client: one tick (a few events) in flight, never a whole queue.
        await fast.inbox.until(`tick ${n}`, tickDone(n));
        for (const m of fast.inbox.messages) if (m.tick === n) bytes += JSON.stringify(m).length;
      }
      const all = events(fast.inbox.messages);
      expect(fast.inbox.types()).not.toContain('dropped');
      expect(all.filter((m) => m.type === 'tick_complete').map((m) => m.tick)).toEqual(
        Array.from({ length: ticks }, (_, i) => i + 1),
      );
      expect(all[all.length - 1]).toMatchObject({ tick: ticks, type: 'tick_complete' });
      expect(all.find((m) => m.type === 'blackboard_update' && m.tick === ticks)?.data).toEqual({
        key: 'blob',
        scope: `exec:${id}`,
        value: `${ticks}${'x'.repeat(128 * 1024)}`,
        old: `${ticks - 1}${'x'.repeat(128 * 1024)}`,
      });

      slow.ws.resume();
      await slow.inbox.until('the last event', tickDone(ticks), 60_000);
      const [snapshot, ...rest] = slow.inbox.messages;
      expect(snapshot.type).toBe('snapshot');
      const markers = rest.filter((m) => m.type === 'dropped');
      expect(markers.length).toBeGreaterThan(0);
      // Every event is either delivered or counted in a marker, in order; a marker is at the
      // (tick, seq) of the last event it skipped.
      let at = 0;
      for (const m of rest) {
        if (m.type === 'dropped') {
          expect(m.data.count).toBeGreaterThan(0);
          at += m.data.count as number;
          expect([m.tick, m.seq]).toEqual([all[at - 1].tick, all[at - 1].seq]);
        } else {
          expect(JSON.stringify(m)).toBe(JSON.stringify(all[at]));
          at++;
        }
      }
      expect(at).toBe(all.length);
      // Runs of drops are separated by delivered events, and the newest events all made it.
      for (let i = 1; i < rest.length; i++) {
        expect(rest[i - 1].type === 'dropped' && rest[i].type === 'dropped').toBe(false);
      }
      const delivered = events(rest);
      expect(delivered.length).toBeLessThan(all.length);
      expect(delivered.slice(-QUEUE_LIMIT)).toEqual(all.slice(-QUEUE_LIMIT));
    } finally {
      await Promise.all([slow.close(), fast.close()]);
    }
  }, 180_000);

  it('subscribes once per watched execution and unsubscribes when its last client leaves', async () => {
    const hub = harness.gateway.get(StreamHub);
    const gatewayNats = harness.gateway.get(TracedNats).connection;
    const id = 'shared';
    await create(id, 'mixed');
    const a = await openWs(wsUrl(id));
    const b = await openSse(sseUrl(id));
    await a.inbox.first('snapshot', isSnapshot);
    await b.inbox.first('snapshot', isSnapshot);
    expect(hub.watched()[id]).toBe(2);

    // One subscription for both: each event reaches the gateway once (plus the tick's reply).
    let before = gatewayNats.stats().inMsgs;
    await tick(id);
    const received = gatewayNats.stats().inMsgs - before;
    await a.inbox.until('tick 1', tickDone(1));
    await b.inbox.until('tick 1', tickDone(1));
    expect(events(a.inbox.messages)).toEqual(events(b.inbox.messages).map(({ id: _, ...m }) => m));
    expect(received).toBe(events(a.inbox.messages).length + 1);

    await a.close();
    b.close();
    const deadline = Date.now() + 5000;
    // The server learns of the closes asynchronously; there is no event to await here.
    while (hub.watched()[id] !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(hub.watched()[id]).toBeUndefined();

    // Unsubscribed on the server: a tick now brings the gateway nothing but the tick's reply.
    before = gatewayNats.stats().inMsgs;
    expect((await tick(id)).tick).toBe(2);
    expect(gatewayNats.stats().inMsgs - before).toBe(1);
  });

  it('closes every stream when the gateway shuts down', async () => {
    const env = {
      NATS_URL: harness.nats.url,
      REDIS_URL: harness.redis.url,
    };
    const gateway = await createTestGateway(env);
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const url = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
    const id = 'shutdown';
    await create(id, 'mixed');
    const ws = await openWs(`${url.replace(/^http/, 'ws')}/executions/${id}/ws`);
    const sse = await openSse(`${url}/executions/${id}/events`);
    await ws.inbox.first('snapshot', isSnapshot);
    await sse.inbox.first('snapshot', isSnapshot);
    await tick(id);
    await ws.inbox.until('tick 1', tickDone(1));
    await sse.inbox.until('tick 1', tickDone(1));
    const closed = new Promise<number>((resolve) => ws.ws.once('close', (code) => resolve(code)));
    await gateway.close();
    expect(await closed).toBe(1001);
    await sse.ended;
    expect(gateway.get(StreamHub).watched()).toEqual({});
  });
});
