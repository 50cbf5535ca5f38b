import { startTestInfra, type TestInfra } from '@canopy/testing';
import { TracedNats } from '@canopy/telemetry';
import { Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { once } from 'node:events';
import { capturingLogger } from '../test/log-capture';
import { connectRedis, createHttpService, HealthRegistry, type ReadinessReport } from './index';

/** A use case as services write them: connections arrive by type, no tokens. */
@Injectable()
class Greeter {
  constructor(
    readonly nats: TracedNats,
    readonly redis: Redis,
  ) {}
}

@Module({ providers: [Greeter] })
class GreeterModule {}

const TIMEOUT_MS = 300;

describe('readiness against real NATS and Redis', () => {
  let infra: TestInfra;
  let app: NestFastifyApplication;

  const readyz = async (): Promise<{
    status: number;
    body: ReadinessReport;
    elapsedMs: number;
    retryAfter: unknown;
  }> => {
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    return {
      status: res.statusCode,
      body: res.json<ReadinessReport>(),
      elapsedMs: Date.now() - started,
      retryAfter: res.headers['retry-after'],
    };
  };

  beforeAll(async () => {
    infra = await startTestInfra({ redis: { appendonly: true } });
    app = await createHttpService(GreeterModule, {
      serviceName: 'readiness-spec',
      port: 0,
      nats: { url: infra.env.NATS_URL },
      redis: { url: infra.env.REDIS_URL },
      readinessTimeoutMs: TIMEOUT_MS,
      logger: capturingLogger('readiness-spec').logger,
    });
  });

  afterAll(async () => {
    await app?.close();
    await infra?.dispose();
  });

  it('injects the connections into services by type', async () => {
    const greeter = app.get(Greeter);
    await greeter.redis.set('greeting', 'hello');
    expect(await greeter.redis.get('greeting')).toBe('hello');
    expect(await greeter.nats.connection.rtt()).toBeGreaterThanOrEqual(0);
  });

  it('is ready when every dependency answers', async () => {
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      checks: {
        nats: { status: 'ok', latencyMs: expect.any(Number) },
        redis: { status: 'ok', latencyMs: expect.any(Number) },
      },
    });
  });

  it('is not ready, within the timeout, while Redis is down, and ready again after', async () => {
    const redis = app.get(Redis);
    await infra.redis.stop();

    const { status, body, elapsedMs, retryAfter } = await readyz();
    expect(status).toBe(503);
    expect(retryAfter).toBe('5');
    expect(body.status).toBe('error');
    expect(body.checks.nats.status).toBe('ok');
    expect(body.checks.redis).toEqual({
      status: 'error',
      latencyMs: expect.any(Number),
      error: expect.any(String),
    });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 200);

    const reconnected = once(redis, 'ready');
    await infra.redis.restart();
    await reconnected;
    expect((await readyz()).status).toBe(200);
  });

  it('reads a hung check as down after the timeout instead of hanging the probe', async () => {
    const registry = app.get(HealthRegistry);
    registry.register('leases', () => new Promise(() => undefined));
    try {
      const { status, body, elapsedMs } = await readyz();
      expect(status).toBe(503);
      expect(body.checks.leases).toMatchObject({
        status: 'error',
        error: `timed out after ${TIMEOUT_MS} ms`,
      });
      expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 200);
    } finally {
      registry.register('leases', async () => undefined);
    }
  });

  it('drains NATS and closes Redis when the app closes', async () => {
    const other = await createHttpService(GreeterModule, {
      serviceName: 'closing-spec',
      port: 0,
      nats: { url: infra.env.NATS_URL },
      redis: { url: infra.env.REDIS_URL },
      logger: capturingLogger('closing-spec').logger,
    });
    const { nats, redis } = other.get(Greeter);
    await other.close();
    expect(nats.connection.isClosed()).toBe(true);
    expect(redis.status).toBe('end');
  });

  it('closes, each step bounded, while NATS and Redis are down', async () => {
    const logs = capturingLogger('closing-spec');
    const other = await createHttpService(GreeterModule, {
      serviceName: 'closing-spec',
      port: 0,
      nats: { url: infra.env.NATS_URL },
      redis: { url: infra.env.REDIS_URL },
      shutdownTimeoutMs: 1000,
      logger: logs.logger,
    });
    const { nats, redis } = other.get(Greeter);
    const natsLost = logs.next((l) => l.msg === 'NATS disconnected');
    await Promise.all([infra.nats.stop(), infra.redis.stop()]);
    await natsLost;
    if (redis.status === 'ready') await once(redis, 'close');
    try {
      // Before the bound, QUIT to a Redis that is gone waited forever for an `end` never emitted.
      await other.close();
      expect(nats.connection.isClosed()).toBe(true);
      expect(logs.lines().map((l) => l.msg)).toContain('connections closed');
    } finally {
      await Promise.all([infra.nats.restart(), infra.redis.restart()]);
    }
  });
});

describe(connectRedis.name, () => {
  it('fails the boot with a readable error when Redis does not answer', async () => {
    const { logger } = capturingLogger('boot-spec');
    await expect(
      connectRedis({
        url: 'redis://:s3cret@127.0.0.1:1',
        name: 'boot-spec',
        logger,
        connectTimeoutMs: 300,
      }),
    ).rejects.toThrow(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is not reachable: .*ECONNREFUSED/,
    );
  });
});
