import { Consumers, RedisKeys, Streams } from '@canopy/contracts';
import { loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { startTestInfra, type TestInfra } from '@canopy/testing';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { Writable } from 'node:stream';
import { HistoryConfigSchema } from '../src/config';
import { createHistory } from '../src/service';
import { addTicksStream, publishRecords, recordsOf } from './tick-records';

jest.setTimeout(60_000);

type Line = Record<string, unknown>;

/** A logger whose lines a test can await. */
function watchedLogger() {
  let waiters: { match: (l: Line) => boolean; resolve: () => void }[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      const line = JSON.parse(chunk.toString()) as Line;
      const ready = waiters.filter((w) => w.match(line));
      waiters = waiters.filter((w) => !w.match(line));
      ready.forEach((w) => w.resolve());
      done();
    },
  });
  return {
    logger: createLogger('history', { destination, level: 'info' }),
    next: (match: (l: Line) => boolean) =>
      new Promise<void>((resolve) => waiters.push({ match, resolve })),
  };
}

describe('history holding records longer than the ack wait', () => {
  let infra: TestInfra;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let history: NestFastifyApplication;
  const log = watchedLogger();

  beforeAll(async () => {
    infra = await startTestInfra({ redis: { appendonly: true } });
    nc = await connect({ servers: infra.env.NATS_URL });
    jsm = await jetstreamManager(nc);
    await addTicksStream(jsm);
    const consuming = log.next((l) => l.msg === 'consuming tick records');
    history = await createHistory(
      loadConfig(HistoryConfigSchema, { ...infra.env, PORT: '0', HISTORY_ACK_WAIT_MS: '1000' }),
      log.logger,
    );
    await consuming;
  });

  afterAll(async () => {
    await history?.close();
    await nc?.close();
    await infra?.dispose();
  });

  it('keeps them from being redelivered while it works on them', async () => {
    await infra.redis.stop();
    // Retries wait 100, 200, 400 and 800 ms: the fifth attempt comes after 1.5 s, past the ack
    // wait, while the record retried and the four queued behind it are held unacknowledged.
    const longRetried = log.next(
      (l) => l.msg === 'storing tick record failed; retrying' && Number(l.attempt) >= 5,
    );
    await publishRecords(jetstream(nc), recordsOf('held', 5));
    await longRetried;

    const held = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
    expect({ ackPending: held.num_ack_pending, redelivered: held.num_redelivered }).toEqual({
      ackPending: 5,
      redelivered: 0,
    });

    await infra.redis.restart();
    const redis = new Redis(infra.env.REDIS_URL);
    try {
      for (;;) {
        const info = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
        if (info.num_ack_pending === 0 && info.num_pending === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(await redis.zrange(RedisKeys.historyTicks('held'), 0, -1)).toEqual([
        '1',
        '2',
        '3',
        '4',
        '5',
      ]);
      expect(await redis.hget(RedisKeys.historyMeta('held'), 'total')).toBe('5');
    } finally {
      redis.disconnect();
    }
  });
});
