import { existsSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { startNats, type NatsHandle } from './index';

describe(startNats.name, () => {
  let sut: NatsHandle;
  let opened: NatsConnection | undefined;

  beforeAll(async () => {
    sut = await startNats();
  });

  /** Connects and remembers the connection so afterEach closes it. */
  const client = async (opts: ConnectionOptions = {}): Promise<NatsConnection> =>
    (opened = await connect({ servers: sut.url, ...opts }));

  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  afterAll(async () => {
    await sut.dispose();
  });

  it('serves JetStream on a private port, never the machine-wide 4222', async () => {
    expect(sut.port).not.toBe(4222);
    expect(sut.url).toBe(`nats://127.0.0.1:${sut.port}`);

    const nc = await client();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PROBE', subjects: ['probe.>'] });
    const js = jetstream(nc);
    const ack = await js.publish('probe.one', JSON.stringify({ hello: 'world' }), {
      msgID: 'probe-1',
    });
    expect(ack.seq).toBe(1);

    const consumer = await js.consumers.get('PROBE');
    const msg = await consumer.next({ expires: 2000 });
    expect(msg?.json()).toEqual({ hello: 'world' });
  });

  it('keeps port and stored streams across stop + restart, and clients reconnect', async () => {
    const nc = await client({ maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'DURABLE', subjects: ['durable.>'] });
    await jetstream(nc).publish('durable.a', 'before');

    const reconnected = waitForStatus(nc, 'reconnect');
    await sut.stop();
    await sut.restart();
    await reconnected;

    const js = jetstream(nc);
    await js.publish('durable.a', 'after');
    const info = await (await jetstreamManager(nc)).streams.info('DURABLE');
    expect(info.state.messages).toBe(2);
  });

  it('removes its data dir on dispose', async () => {
    const other = await startNats();
    expect(existsSync(other.dataDir)).toBe(true);
    await other.dispose();
    expect(existsSync(other.dataDir)).toBe(false);
  });
});

async function waitForStatus(nc: NatsConnection, type: string): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === type) return;
  }
}
