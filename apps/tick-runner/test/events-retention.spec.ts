import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { inboxPrefixOf, Streams } from '@canopy/contracts';
import { createLogger } from '@canopy/telemetry';
import { startTestInfra, type TestInfra } from '@canopy/testing';
import { EventsRetention } from '../src/delivery/events-retention';
import { EVENTS_STREAM, ensureStreams } from '../src/delivery/streams';

jest.setTimeout(60_000);

const log = createLogger('events-retention-test', { level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const MINUTE_NS = 60 * 1_000_000_000;

/** `n` events of `bytes` bytes each, spread over 50 subjects (the stream's usual interleaving). */
async function publish(nc: NatsConnection, n: number, bytes = 100): Promise<void> {
  const payload = 'x'.repeat(bytes);
  for (let i = 0; i < n; i++) nc.publish(`canopy.events.ex-${i % 50}.node_update`, payload);
  await nc.flush();
}

describe('events retention: CANOPY_EVENTS kept within its limits by bulk purges', () => {
  let infra: TestInfra;
  let runnerNc: NatsConnection;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    infra = await startTestInfra({ users: true });
    nc = await connect({ servers: infra.env.NATS_URL });
    jsm = await jetstreamManager(nc);
    // The runner's own broker user: the purge must be within its permissions.
    const runner = infra.users?.nats['tick-runner'];
    if (!runner) throw new Error('no tick-runner user');
    runnerNc = await connect({
      servers: infra.env.NATS_URL,
      user: runner.user,
      pass: runner.password,
      inboxPrefix: inboxPrefixOf(runner.user),
    });
  });

  afterAll(async () => {
    await runnerNc?.close();
    await nc?.close();
    await infra?.dispose();
  });

  /** A fresh CANOPY_EVENTS as the runner creates it, with `limits` over its defaults. */
  async function freshStream(limits: { max_bytes?: number; max_age?: number; max_msgs?: number }): Promise<void> {
    await jsm.streams.delete(Streams.events.name).catch(() => undefined);
    await ensureStreams(runnerNc, log);
    const { config } = await jsm.streams.info(Streams.events.name);
    await jsm.streams.update(Streams.events.name, { ...config, ...limits });
  }

  const state = async () => (await jsm.streams.info(Streams.events.name)).state;

  it('over three quarters of max_bytes, purges the oldest down to half, keeping the newest', async () => {
    await freshStream({ max_bytes: 200_000 });
    const retention = new EventsRetention(runnerNc, log);
    await publish(nc, 1200);
    const before = await state();
    expect(before.bytes).toBeGreaterThan(0.75 * 200_000);
    expect(before.messages).toBe(1200);

    const pass = await retention.check();

    const after = await state();
    expect(pass.reason).toBe('size');
    expect(pass.purged).toBe(before.messages - after.messages);
    expect(after.bytes).toBeLessThanOrEqual(0.5 * 200_000);
    expect(after.bytes).toBeGreaterThan(0.4 * 200_000);
    expect(after.last_seq).toBe(1200);
    expect(after.first_seq).toBe(1200 - after.messages + 1);
    // Within the limits now: the next look purges nothing.
    await expect(retention.check()).resolves.toEqual({ purged: 0 });
  });

  it('the same for max_msgs', async () => {
    await freshStream({ max_msgs: 400 });
    const retention = new EventsRetention(runnerNc, log);
    await publish(nc, 380);
    const pass = await retention.check();
    expect(pass).toEqual({ purged: 180, reason: 'size' });
    const after = await state();
    expect([after.first_seq, after.last_seq, after.messages]).toEqual([181, 380, 200]);
  });

  it('purges what is older than nine tenths of max_age, to the check', async () => {
    await freshStream({ max_age: 10 * MINUTE_NS });
    const retention = new EventsRetention(runnerNc, log);
    const t0 = Date.now();
    await publish(nc, 100);
    await expect(retention.check(t0)).resolves.toEqual({ purged: 0 });
    await publish(nc, 50);
    // 8 minutes on: nothing is 9 minutes old yet.
    await expect(retention.check(t0 + 8 * 60_000)).resolves.toEqual({ purged: 0 });
    await publish(nc, 25);
    // 9 minutes after the first check: what it saw (seq 1..100) goes, the rest stays.
    await expect(retention.check(t0 + 9 * 60_000)).resolves.toEqual({ purged: 100, reason: 'age' });
    expect(await state()).toMatchObject({ first_seq: 101, last_seq: 175, messages: 75 });
    // A minute later the second check's messages (101..150) are old enough.
    await expect(retention.check(t0 + 17 * 60_000)).resolves.toEqual({ purged: 50, reason: 'age' });
    expect(await state()).toMatchObject({ first_seq: 151, messages: 25 });
  });

  it('a stream created again (NATS restarted) is not purged by the old one\'s sequence numbers', async () => {
    await freshStream({ max_age: 10 * MINUTE_NS });
    const retention = new EventsRetention(runnerNc, log);
    const t0 = Date.now();
    await publish(nc, 300);
    await retention.check(t0);
    await freshStream({ max_age: 10 * MINUTE_NS });
    await publish(nc, 40);
    await expect(retention.check(t0 + 60_000)).resolves.toEqual({ purged: 0 });
    await publish(nc, 10);
    // The first sample of the new stream (seq 40) is the one that ages out, not the old 300.
    await expect(retention.check(t0 + 60_000 + 9 * 60_000)).resolves.toEqual({ purged: 40, reason: 'age' });
    expect(await state()).toMatchObject({ first_seq: 41, messages: 10 });
  });

  it('the default stream is left alone while within its limits', async () => {
    await freshStream({});
    expect((await jsm.streams.info(Streams.events.name)).config).toMatchObject({
      max_age: EVENTS_STREAM.max_age,
      max_bytes: EVENTS_STREAM.max_bytes,
    });
    const retention = new EventsRetention(runnerNc, log);
    await publish(nc, 500);
    await expect(retention.check()).resolves.toEqual({ purged: 0 });
    expect((await state()).messages).toBe(500);
  });
});
