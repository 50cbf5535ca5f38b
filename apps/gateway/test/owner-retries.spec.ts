import { type NatsHandle, type RedisHandle, startNats, startRedis } from '@canopy/testing';
import { createTestGateway } from './gateway-harness';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { execution, ownerGone, StandInRunners, type Step, storageDown } from './stand-in-runners';
import { openSse, openWs, RefusedError } from './stream-clients';

const SHARDS = 4;
const RETRY_AFTER = '3';

describe('gateway: owner commands while shards change hands', () => {
  let nats: NatsHandle;
  let redis: RedisHandle;
  let nc: NatsConnection;
  let runners: StandInRunners;
  let gateway: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    nats = await startNats();
    redis = await startRedis();
    nc = await connect({ servers: nats.url });
    runners = new StandInRunners(nc, SHARDS);
    gateway = await createTestGateway(
      {
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        SHARD_COUNT: String(SHARDS),
        OWNER_RETRY_BUDGET_MS: '1500',
        REQUEST_TIMEOUT_MS: '1000',
        RETRY_AFTER_SECONDS: RETRY_AFTER,
      },
      'gateway-spec',
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    url = await gateway.getUrl();
  });

  afterAll(async () => {
    await gateway?.close();
    await nc?.close();
    await nats?.dispose();
    await redis?.dispose();
  });

  const post = async (path: string, payload?: unknown) => {
    const res = await gateway.inject({
      method: 'POST',
      url: path,
      ...(payload === undefined
        ? {}
        : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
    });
    return {
      status: res.statusCode,
      retryAfter: res.headers['retry-after'],
      body: res.json<Record<string, unknown>>(),
    };
  };

  const ROUTES = [
    ['tick', { count: 2 }, { type: 'tick', count: 2 }],
    ['start', { mode: 'auto' }, { type: 'start', mode: 'auto' }],
    ['pause', undefined, { type: 'pause' }],
    ['resume', undefined, { type: 'resume' }],
    ['stop', undefined, { type: 'stop' }],
  ] as const;

  it.each(ROUTES)(
    '%s: resends the command after OWNER_UNAVAILABLE, FENCED and DEPENDENCY_UNAVAILABLE replies',
    async (route, payload, command) => {
      const id = `moving-${route}`;
      const answer =
        route === 'tick' ? { tick: 9, status: 'RUNNING', state: 'running' } : execution(id);
      const fenced: Step = { error: { code: 'FENCED', message: 'runner r lost shard 3' } };
      const owner = runners.owner(id, [ownerGone(), fenced, storageDown, { reply: answer }]);
      await runners.ready();

      expect(await post(`/executions/${id}/${route}`, payload)).toMatchObject({
        status: 200,
        body: answer,
      });
      expect(owner.seen).toEqual([command, command, command, command]);
    },
  );

  it('trigger: 202 once the owner stored the event; resent after not-applied replies, never after a timeout; a full queue is 429', async () => {
    const answer = { accepted: true, queued: 2, at: 1_700_000_000_000 };
    const sent = { type: 'trigger', event: { name: 'door', payload: { open: true } } };
    const owner = runners.owner('ev-moving', [ownerGone(), { reply: answer }]);
    const full = runners.owner('ev-full', [
      { error: { code: 'EVENT_QUEUE_FULL', message: 'full' } },
    ]);
    const slow = runners.owner('ev-slow', ['silent', { reply: answer }]);
    await runners.ready();
    const body = { event: 'door', payload: { open: true } };
    expect(await post('/executions/ev-moving/trigger', body)).toEqual({
      status: 202,
      retryAfter: undefined,
      body: answer,
    });
    expect(owner.seen).toEqual([sent, sent]);
    expect(await post('/executions/ev-full/trigger', body)).toMatchObject({
      status: 429,
      body: { error: { code: 'EVENT_QUEUE_FULL' } },
    });
    expect(full.seen).toHaveLength(1);
    expect(await post('/executions/ev-slow/trigger', body)).toMatchObject({
      status: 503,
      retryAfter: RETRY_AFTER,
      body: { error: { code: 'OWNER_UNAVAILABLE' } },
    });
    expect(slow.seen).toHaveLength(1);
    expect(await post('/executions/ev-moving/trigger', { payload: 1 })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', fields: [{ field: 'event' }] } },
    });
    expect(owner.seen).toHaveLength(2);
  });

  it('resends only the ticks a handover left undone', async () => {
    const owner = runners.owner('half-done', [
      ownerGone(2),
      ownerGone(1),
      { reply: { tick: 5, status: 'SUCCESS', state: 'completed' } },
    ]);
    await runners.ready();
    expect(await post('/executions/half-done/tick', { count: 5 })).toEqual({
      status: 200,
      retryAfter: undefined,
      body: { tick: 5, status: 'SUCCESS', state: 'completed' },
    });
    expect(owner.seen.map((c) => c.type === 'tick' && c.count)).toEqual([5, 3, 2]);
  });

  it('answers like a completed tick when the handover had done every tick', async () => {
    const owner = runners.owner('all-done', [ownerGone(3)]);
    runners.stored.set('all-done', execution('all-done', { tick: 7, status: 'FAILURE' }));
    await runners.ready();
    expect(await post('/executions/all-done/tick', { count: 3 })).toEqual({
      status: 200,
      retryAfter: undefined,
      body: { tick: 7, status: 'FAILURE', state: 'running' },
    });
    expect(owner.seen).toHaveLength(1);
  });

  it('gives up at the budget with 503 and Retry-After, saying how many ticks were done', async () => {
    const owner = runners.owner('stuck-handover', [], ownerGone(1));
    await runners.ready();
    const res = await post('/executions/stuck-handover/tick', { count: 1000 });
    expect(res).toMatchObject({
      status: 503,
      retryAfter: RETRY_AFTER,
      body: { error: { code: 'OWNER_UNAVAILABLE' } },
    });
    const counts = owner.seen.map((c) => c.type === 'tick' && c.count);
    expect(counts.length).toBeGreaterThan(1);
    expect(counts).toEqual(counts.map((_, i) => 1000 - i));
    expect(res.body).toMatchObject({ error: { details: { ticksDone: counts.length } } });
  });

  it('keeps the runner’s code when Redis stays away past the budget', async () => {
    const owner = runners.owner('no-storage', [], storageDown);
    await runners.ready();
    expect(await post('/executions/no-storage/pause')).toMatchObject({
      status: 503,
      retryAfter: RETRY_AFTER,
      body: { error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'storage unavailable; retry' } },
    });
    expect(owner.seen.length).toBeGreaterThan(1);
  });

  it('passes other errors on at once', async () => {
    const owner = runners.owner('stopped', [
      { error: { code: 'EXECUTION_STOPPED', message: 'execution stopped is stopped' } },
    ]);
    await runners.ready();
    expect(await post('/executions/stopped/start', { mode: 'auto' })).toMatchObject({
      status: 409,
      retryAfter: undefined,
      body: { error: { code: 'EXECUTION_STOPPED' } },
    });
    expect(owner.seen).toHaveLength(1);
  });

  it('resends a timed-out pause but not a timed-out tick, which may have been applied', async () => {
    const pause = runners.owner('slow-pause', ['silent', { reply: execution('slow-pause') }]);
    const tick = runners.owner('slow-tick', ['silent', { reply: { tick: 1 } }]);
    await runners.ready();
    expect(await post('/executions/slow-pause/pause')).toMatchObject({ status: 200 });
    expect(pause.seen).toHaveLength(2);
    expect(await post('/executions/slow-tick/tick', { count: 1 })).toMatchObject({
      status: 503,
      retryAfter: RETRY_AFTER,
      body: { error: { code: 'OWNER_UNAVAILABLE' } },
    });
    expect(tick.seen).toHaveLength(1);
  });

  it('answers 503 with Retry-After when no runner holds the shard, 404 when the execution is unknown', async () => {
    runners.stored.set('orphan', execution('orphan'));
    expect(await post('/executions/orphan/resume')).toMatchObject({
      status: 503,
      retryAfter: RETRY_AFTER,
      body: { error: { code: 'OWNER_UNAVAILABLE' } },
    });
    expect(await post('/executions/nobody/resume')).toMatchObject({
      status: 404,
      retryAfter: undefined,
      body: { error: { code: 'EXECUTION_NOT_FOUND' } },
    });
  });

  describe('Retry-After on every 503', () => {
    beforeAll(async () => {
      runners.owner('unreachable', [], ownerGone());
      await runners.ready();
    });

    it('on routes the runners serve from Redis', async () => {
      const res = await gateway.inject({ method: 'GET', url: '/trees' });
      expect([res.statusCode, res.headers['retry-after']]).toEqual([503, RETRY_AFTER]);
    });

    it('on a live stream (SSE) that cannot get its snapshot', async () => {
      const sse = await openSse(`${url}/executions/unreachable/events`);
      sse.close();
      expect([sse.status, sse.headers['retry-after']]).toEqual([503, RETRY_AFTER]);
    });

    it('on a WebSocket upgrade refused outside Nest', async () => {
      const refused = await openWs(`${url.replace('http', 'ws')}/executions/unreachable/ws`).then(
        (client) => client.close(),
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(RefusedError);
      const { response } = refused as RefusedError;
      expect([response.statusCode, response.headers['retry-after']]).toEqual([503, RETRY_AFTER]);
      expect(await (refused as RefusedError).body()).toMatchObject({
        error: { code: 'OWNER_UNAVAILABLE' },
      });
    });
  });
});
