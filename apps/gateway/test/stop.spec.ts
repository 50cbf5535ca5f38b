import {
  exitWithin,
  type NatsHandle,
  type SpawnedService,
  spawnService,
  startNats,
} from '@canopy/testing';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Process start-up and exit around the deadline; generous, the bound under test is the deadline. */
const MARGIN_MS = 5000;

jest.setTimeout(60_000);

describe('the gateway process, stopped while NATS is down', () => {
  let nats: NatsHandle;
  let gateway: SpawnedService | undefined;

  beforeAll(async () => {
    nats = await startNats();
  });

  afterAll(async () => {
    gateway?.kill();
    await nats?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM', async () => {
    gateway = spawnService('apps/gateway/src/main.ts', {
      NATS_URL: nats.url,
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    await gateway.line((l) => l.msg === 'gateway listening');
    const lost = gateway.line((l) => l.msg === 'NATS disconnected');
    await nats.stop();
    await lost;

    gateway.child.kill('SIGTERM');
    const exit = await exitWithin(gateway, SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
