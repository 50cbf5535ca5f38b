import { sigtermWithBrokersDown, startTestInfra, type TestInfra } from '@canopy/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { addTicksStream } from './tick-records';

jest.setTimeout(60_000);

describe('the history process, stopped while NATS and Redis are down', () => {
  let infra: TestInfra;

  beforeAll(async () => {
    infra = await startTestInfra();
    // The stream the runners create, so history's consumer is pulling when the brokers go.
    const nc = await connect({ servers: infra.env.NATS_URL });
    await addTicksStream(await jetstreamManager(nc));
    await nc.close();
  });

  afterAll(async () => {
    await infra?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM', async () => {
    const { exit } = await sigtermWithBrokersDown({
      entry: 'apps/history/src/main.ts',
      env: infra.env,
      ready: 'consuming tick records',
      down: [
        [infra.nats, 'NATS disconnected'],
        [infra.redis, 'Redis connection lost'],
      ],
      shutdownTimeoutMs: 3000,
    });
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
