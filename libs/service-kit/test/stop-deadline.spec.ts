import {
  exitWithin,
  type LogLine,
  type SpawnedService,
  spawnService,
  startTestInfra,
  type TestInfra,
} from '@canopy/testing';

const FIXTURE = 'libs/service-kit/test/fixtures/stopping-service.ts';
/** Process start-up and exit around the deadline; generous, the bound under test is the deadline. */
const MARGIN_MS = 5000;

jest.setTimeout(60_000);

describe('a service stopped by SIGTERM', () => {
  let infra: TestInfra;
  const started: SpawnedService[] = [];

  beforeAll(async () => {
    infra = await startTestInfra();
  });

  afterEach(() => started.splice(0).forEach((s) => s.kill()));

  afterAll(() => infra?.dispose());

  async function start(env: Record<string, string>): Promise<SpawnedService> {
    const service = spawnService(FIXTURE, { ...infra.env, LOG_LEVEL: 'info', ...env });
    started.push(service);
    await service.line((l) => l.msg === 'stopping-service listening');
    return service;
  }

  const message = (text: string) => (l: LogLine) => l.msg === text;

  it('closes and exits with code 0 when everything finishes', async () => {
    const service = await start({ SHUTDOWN_TIMEOUT_MS: '5000' });
    service.child.kill('SIGTERM');
    expect(await exitWithin(service, 5000 + MARGIN_MS)).toEqual({ code: 0, signal: null });
    expect(service.lines().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['stopping', 'closing connections', 'connections closed', 'stopped']),
    );
  });

  it('ends at the deadline when a hook never finishes, naming what was pending', async () => {
    const service = await start({
      STUCK_HOOK: 'true',
      CONNECT: 'false',
      SHUTDOWN_TIMEOUT_MS: '1000',
    });
    service.child.kill('SIGTERM');
    expect(await exitWithin(service, 1000 + MARGIN_MS)).toEqual({ code: 1, signal: null });
    const overrun = service
      .lines()
      .find(message('shutdown deadline passed; exiting with work pending'));
    expect(overrun).toMatchObject({
      timeoutMs: 1000,
      pending: expect.arrayContaining(['StuckHandover.beforeApplicationShutdown']),
    });
  });

  it('stops within the deadline while NATS and Redis are down', async () => {
    const service = await start({ SHUTDOWN_TIMEOUT_MS: '3000' });
    const natsLost = service.line(message('NATS disconnected'));
    const redisLost = service.line(message('Redis connection lost'));
    await Promise.all([infra.nats.stop(), infra.redis.stop()]);
    await Promise.all([natsLost, redisLost]);

    service.child.kill('SIGTERM');
    // Each of the kit's steps is bounded, so it closes by itself rather than at the deadline.
    expect(await exitWithin(service, 3000 + MARGIN_MS)).toEqual({ code: 0, signal: null });
    expect(service.lines().map((l) => l.msg)).toContain('stopped');
  });
});
