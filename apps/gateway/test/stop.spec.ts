import { type NatsHandle, sigtermWithBrokersDown, startNats } from '@canopy/testing';

jest.setTimeout(60_000);

describe('the gateway process, stopped while NATS is down', () => {
  let nats: NatsHandle;

  beforeAll(async () => {
    nats = await startNats();
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM', async () => {
    const { exit } = await sigtermWithBrokersDown({
      entry: 'apps/gateway/src/main.ts',
      env: { NATS_URL: nats.url },
      ready: 'gateway listening',
      down: [[nats, 'NATS disconnected']],
      shutdownTimeoutMs: 3000,
    });
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
