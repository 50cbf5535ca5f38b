import {
  exitWithin,
  type SpawnedService,
  spawnService,
  startTestInfra,
  type TestInfra,
} from '@canopy/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { addTicksStream } from './tick-records';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Process start-up and exit around the deadline; generous, the bound under test is the deadline. */
const MARGIN_MS = 5000;

jest.setTimeout(60_000);

describe('the history process, stopped while NATS and Redis are down', () => {
  let infra: TestInfra;
  let history: SpawnedService | undefined;

  beforeAll(async () => {
    infra = await startTestInfra();
    // The stream the runners create, so history's consumer is pulling when the brokers go.
    const nc = await connect({ servers: infra.env.NATS_URL });
    await addTicksStream(await jetstreamManager(nc));
    await nc.close();
  });

  afterAll(async () => {
    history?.kill();
    await infra?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM', async () => {
    history = spawnService('apps/history/src/main.ts', {
      ...infra.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    await history.line((l) => l.msg === 'consuming tick records');
    const lost = [
      history.line((l) => l.msg === 'NATS disconnected'),
      history.line((l) => l.msg === 'Redis connection lost'),
    ];
    await Promise.all([infra.nats.stop(), infra.redis.stop()]);
    await Promise.all(lost);

    history.child.kill('SIGTERM');
    const exit = await exitWithin(history, SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
