import {
  exitWithin,
  type SpawnedService,
  spawnService,
  startTestInfra,
  type TestInfra,
} from '@canopy/testing';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Process start-up and exit around the deadline; generous, the bound under test is the deadline. */
const MARGIN_MS = 5000;

jest.setTimeout(60_000);

describe('the blackboard process, stopped while NATS and Redis are down', () => {
  let infra: TestInfra;
  let blackboard: SpawnedService | undefined;

  beforeAll(async () => {
    infra = await startTestInfra();
  });

  afterAll(async () => {
    blackboard?.kill();
    await infra?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM', async () => {
    blackboard = spawnService('apps/blackboard/src/main.ts', {
      ...infra.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    await blackboard.line((l) => l.msg === 'blackboard listening');
    const lost = [
      blackboard.line((l) => l.msg === 'NATS disconnected'),
      blackboard.line((l) => l.msg === 'Redis connection lost'),
    ];
    await Promise.all([infra.nats.stop(), infra.redis.stop()]);
    await Promise.all(lost);

    blackboard.child.kill('SIGTERM');
    const exit = await exitWithin(blackboard, SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
