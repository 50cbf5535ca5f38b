import { headers } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startNats, type NatsHandle } from '@canopy/testing';
import { JetStreamAcks } from './lib/jetstream-acks';

const withId = (id: string) => {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
};

describe('JetStreamAcks (real nats-server)', () => {
  let nats: NatsHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ACKS', subjects: ['acks.>'], duplicate_window: 60_000_000_000 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  it('resolves with the stream ack, flags duplicates, and stores each id once', async () => {
    const acks = new JetStreamAcks(nc);
    const results = await Promise.all([
      acks.publish('acks.a', '{"n":1}', withId('a-1')),
      acks.publish('acks.a', '{"n":2}', withId('a-2')),
      acks.publish('acks.a', '{"n":1}', withId('a-1')),
    ]);
    expect(results.map((r) => [r.stream, r.duplicate])).toEqual([
      ['ACKS', false],
      ['ACKS', false],
      ['ACKS', true],
    ]);
    expect(results[1].seq).toBe(results[0].seq + 1);
    const info = await (await jetstreamManager(nc)).streams.info('ACKS', { subjects_filter: 'acks.a' });
    expect(info.state.messages).toBe(2);
    acks.close();
  });

  it('rejects when no stream captures the subject (no responders) and when the stream refuses', async () => {
    const acks = new JetStreamAcks(nc);
    await expect(acks.publish('nowhere.x', '{}', withId('n-1'))).rejects.toMatchObject({
      failure: 'no-stream',
      message: expect.stringMatching(/503/),
    });
    const refused = headers();
    refused.set('Nats-Msg-Id', 'r-1');
    refused.set('Nats-Expected-Stream', 'OTHER');
    await expect(acks.publish('acks.b', '{}', refused)).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/JetStream publish failed/),
    });
    acks.close();
  });

  it('fails what is not acknowledged within the timeout, and everything pending on close', async () => {
    // A core subscriber that never answers stands in for a stream that does not ack.
    const silent = nc.subscribe('silent.>');
    const acks = new JetStreamAcks(nc, 200);
    await expect(acks.publish('silent.a', '{}', withId('s-1'))).rejects.toMatchObject({
      failure: 'timeout',
      message: 'no JetStream ack within 200 ms',
    });
    const pending = acks.publish('silent.b', '{}', withId('s-2'));
    acks.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(acks.publish('acks.c', '{}', withId('c-1'))).rejects.toThrow(/closed/);
    silent.unsubscribe();
  });

  it('fails the publishes still waiting when the connection is interrupted, and keeps working after', async () => {
    const silent = nc.subscribe('silent2.>');
    const acks = new JetStreamAcks(nc, 60_000);
    const pending = acks.publish('silent2.a', '{}', withId('i-1'));
    acks.interrupt();
    await expect(pending).rejects.toMatchObject({ failure: 'interrupted' });
    await expect(acks.publish('acks.d', '{"n":4}', withId('d-1'))).resolves.toMatchObject({ stream: 'ACKS', duplicate: false });
    acks.close();
    silent.unsubscribe();
  });
});
