import { Queues, Subjects } from '@canopy/contracts';
import { type NatsHandle, type RedisHandle, startNats, startRedis } from '@canopy/testing';
import { createTestGateway } from './gateway-harness';
import { respondBytes } from '@canopy/telemetry';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * A replica of the runners' queue group on real NATS that loses the first `lose` requests of a
 * subject (a replica dying with a request in hand) and answers the rest with `reply`.
 */
function replica(nc: NatsConnection, subject: string, lose: number, reply: (msg: Msg) => unknown) {
  const seen: unknown[] = [];
  nc.subscribe(subject, {
    queue: Queues.runners,
    callback: (_error, msg) => {
      seen.push(msg.json());
      if (seen.length <= lose) return;
      respondBytes(msg, new TextEncoder().encode(JSON.stringify(reply(msg))));
    },
  });
  return { seen };
}

describe('gateway: requests to the services that a lost message must not fail', () => {
  let nats: NatsHandle;
  let redis: RedisHandle;
  let nc: NatsConnection;
  let gateway: NestFastifyApplication;

  beforeAll(async () => {
    nats = await startNats();
    redis = await startRedis();
    nc = await connect({ servers: nats.url });
    gateway = await createTestGateway(
      {
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        REQUEST_TIMEOUT_MS: '1000',
        RETRY_AFTER_SECONDS: '2',
      },
      'gateway-spec',
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await nc?.close();
    await nats?.dispose();
    await redis?.dispose();
  });

  it('sends a read again after silence and answers the reply', async () => {
    const runner = replica(nc, Subjects.execList, 1, () => []);
    await nc.flush();
    const res = await gateway.inject({ method: 'GET', url: '/executions' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
    expect(runner.seen).toHaveLength(2);
  });

  it('a delete whose first attempt was lost and whose second finds nothing was done: 200', async () => {
    const runner = replica(nc, Subjects.execDelete, 1, (msg) => ({
      error: {
        code: 'EXECUTION_NOT_FOUND',
        message: `no execution ${msg.json<{ id: string }>().id}`,
      },
    }));
    await nc.flush();
    const res = await gateway.inject({ method: 'DELETE', url: '/executions/gone-1' });
    expect({ status: res.statusCode, body: res.json() }).toEqual({
      status: 200,
      body: { deleted: true },
    });
    expect(runner.seen).toEqual([{ id: 'gone-1' }, { id: 'gone-1' }]);
  });

  it('a delete of an execution that never existed is still 404', async () => {
    const res = await gateway.inject({ method: 'DELETE', url: '/executions/gone-1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'EXECUTION_NOT_FOUND' } });
  });

  it('does not send a create again: silence is 503 with Retry-After, after one attempt', async () => {
    const runner = replica(nc, Subjects.execCreate, 5, () => ({}));
    await nc.flush();
    const res = await gateway.inject({
      method: 'POST',
      url: '/executions',
      payload: JSON.stringify({ tree: 'any' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(runner.seen).toHaveLength(1);
  });

  it('gives up on a read within REQUEST_TIMEOUT_MS in all, with 503 and Retry-After', async () => {
    const runner = replica(nc, Subjects.treesList, 100, () => []);
    await nc.flush();
    const res = await gateway.inject({ method: 'GET', url: '/trees' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(runner.seen.length).toBeGreaterThanOrEqual(2);
  });
});
