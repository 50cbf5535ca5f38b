import { sigtermWithBrokersDown, startTestInfra, type TestInfra } from '@canopy/testing';

jest.setTimeout(60_000);

describe('the blackboard process, stopped while NATS and Redis are down', () => {
  let infra: TestInfra;

  beforeAll(async () => {
    infra = await startTestInfra();
  });

  afterAll(async () => {
    await infra?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM', async () => {
    const { exit } = await sigtermWithBrokersDown({
      entry: 'apps/blackboard/src/main.ts',
      env: infra.env,
      ready: 'blackboard listening',
      down: [
        [infra.nats, 'NATS disconnected'],
        [infra.redis, 'Redis connection lost'],
      ],
      shutdownTimeoutMs: 3000,
    });
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
