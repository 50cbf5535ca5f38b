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

describe('the tick-runner process, stopped while NATS and Redis are down', () => {
  let infra: TestInfra;
  let runner: SpawnedService | undefined;

  beforeAll(async () => {
    infra = await startTestInfra();
  });

  afterAll(async () => {
    runner?.kill();
    await infra?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM, its handover given up rather than waited for', async () => {
    runner = spawnService('apps/tick-runner/src/main.ts', {
      ...infra.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    await runner.line((l) => l.msg === 'tick-runner listening');
    const lost = [
      runner.line((l) => l.msg === 'NATS disconnected'),
      runner.line((l) => l.msg === 'Redis connection lost'),
    ];
    await Promise.all([infra.nats.stop(), infra.redis.stop()]);
    await Promise.all(lost);

    runner.child.kill('SIGTERM');
    const exit = await exitWithin(runner, SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    expect(exit).toEqual({ code: 0, signal: null });
    await runner.line((l) => l.msg === 'runner stopped');
  });
});
