import { Consumers, RedisKeys, Streams, Subjects } from '@canopy/contracts';
import { type SpawnedService, spawnService, startTestInfra, type TestInfra } from '@canopy/testing';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import Redis from 'ioredis';
import { addTicksStream, publishRecords, recordsOf } from './tick-records';

const NANOS_PER_MS = 1_000_000;
const EXECUTIONS = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];
const TICKS = 250;

jest.setTimeout(120_000);

/** Polls `probe` every 25 ms until it returns true (the Jest timeout bounds it). */
async function until(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe())) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('history killed while tick records flow', () => {
  let infra: TestInfra;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let redis: Redis;
  const processes: SpawnedService[] = [];

  beforeAll(async () => {
    infra = await startTestInfra();
    nc = await connect({ servers: infra.env.NATS_URL });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    redis = new Redis(infra.env.REDIS_URL);
    // What the runners create, and the consumer as an older history created it (30 s ack wait).
    await addTicksStream(jsm);
    await jsm.consumers.add(Streams.ticks.name, {
      durable_name: Consumers.history,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30_000 * NANOS_PER_MS,
      max_ack_pending: 1000,
      filter_subject: Subjects.ticksAll,
    });
  });

  afterAll(async () => {
    processes.forEach((p) => p.kill());
    redis?.disconnect();
    await nc?.close();
    await infra?.dispose();
  });

  async function startHistory(): Promise<SpawnedService> {
    const history = spawnService('apps/history/src/main.ts', {
      ...infra.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      HISTORY_BATCH: '20',
    });
    processes.push(history);
    await history.line((l) => l.msg === 'consuming tick records');
    return history;
  }

  const pending = async () =>
    (await jsm.consumers.info(Streams.ticks.name, Consumers.history)).num_ack_pending;
  const stored = (execId: string) => redis.zcard(RedisKeys.historyTicks(execId));

  it('brings an existing consumer to the short ack wait, and stores every record once after a restart', async () => {
    const first = await startHistory();
    const { config } = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
    expect(config.ack_wait).toBe(3000 * NANOS_PER_MS);

    const records = EXECUTIONS.flatMap((id) => recordsOf(id, TICKS));
    // Interleaved as several executions' ticks arrive; published in order per execution.
    records.sort((a, b) => a.tick - b.tick);
    let next = 0;
    const publishing = (async () => {
      while (next < records.length) {
        const chunk = records.slice(next, next + 4);
        next += chunk.length;
        await publishRecords(js, chunk);
      }
    })();

    // Killed while it holds records it has not acknowledged, with some stored already.
    await until(async () => (await stored(EXECUTIONS[0])) > 0 && (await pending()) > 0);
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited;

    // Restarted at once, as an orchestrator would; records keep arriving meanwhile.
    const second = await startHistory();
    const readyAt = Date.now();
    await publishing;
    await until(async () => {
      const counts = await Promise.all(EXECUTIONS.map(stored));
      return counts.every((count) => count === TICKS);
    });
    const completeAt = Date.now();
    if (process.env.CANOPY_REPORT_RECOVERY) {
      process.stdout.write(
        `history recovery: kill -> complete ${completeAt - killedAt} ms, ` +
          `restart ready -> complete ${completeAt - readyAt} ms ` +
          `(kill -> restarted process consuming ${readyAt - killedAt} ms)\n`,
      );
    }

    const expected = Array.from({ length: TICKS }, (_, i) => String(i + 1));
    for (const id of EXECUTIONS) {
      const [ticks, records, total] = await Promise.all([
        redis.zrange(RedisKeys.historyTicks(id), 0, -1),
        redis.hlen(RedisKeys.historyRecords(id)),
        redis.hget(RedisKeys.historyMeta(id), 'total'),
      ]);
      expect({ id, ticks, records, total }).toEqual({
        id,
        ticks: expected,
        records: TICKS,
        total: String(TICKS),
      });
    }
    await until(async () => (await pending()) === 0);
    expect(second.lines().some((l) => l.level === 'error')).toBe(false);
  });
});
