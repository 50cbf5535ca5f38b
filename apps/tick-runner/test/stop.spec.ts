import { sigtermWithBrokersDown, startTestInfra, type TestInfra } from '@canopy/testing';

jest.setTimeout(60_000);

describe('the tick-runner process, stopped while NATS and Redis are down', () => {
  let infra: TestInfra;

  beforeAll(async () => {
    infra = await startTestInfra();
  });

  afterAll(async () => {
    await infra?.dispose();
  });

  it('exits within SHUTDOWN_TIMEOUT_MS of SIGTERM, its handover given up rather than waited for', async () => {
    const { exit, service } = await sigtermWithBrokersDown({
      entry: 'apps/tick-runner/src/main.ts',
      env: infra.env,
      ready: 'tick-runner listening',
      down: [
        [infra.nats, 'NATS disconnected'],
        [infra.redis, 'Redis connection lost'],
      ],
      shutdownTimeoutMs: 3000,
    });
    expect(exit).toEqual({ code: 0, signal: null });
    expect(service.lines().some((l) => l.msg === 'runner stopped')).toBe(true);
  });
});
