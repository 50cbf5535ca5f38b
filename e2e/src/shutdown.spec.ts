import { Streams } from '@canopy/contracts';
import { sigtermWithBrokersDown, startTestInfra, type TestInfra } from '@canopy/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Each service, the log line that says it is up, and whether it uses Redis. */
const SERVICES = [
  { app: 'tick-runner', ready: 'tick-runner listening', redis: true },
  { app: 'blackboard', ready: 'blackboard listening', redis: true },
  // Consuming: its pull is in flight when the brokers go.
  { app: 'history', ready: 'consuming tick records', redis: true },
  // Redis holds its API keys and rate-limit counters.
  { app: 'gateway', ready: 'gateway listening', redis: true },
] as const;

/**
 * Every service stops within its SHUTDOWN_TIMEOUT_MS of SIGTERM, also when NATS and Redis went
 * away first: a runner gives its handover up, history its pull, every service its connections.
 */
describe('SIGTERM with the brokers down', () => {
  let infra: TestInfra | undefined;

  afterEach(async () => {
    await infra?.dispose();
    infra = undefined;
  });

  it.each(SERVICES)('$app exits within SHUTDOWN_TIMEOUT_MS', async ({ app, ready, redis }) => {
    infra = await startTestInfra();
    const nc = await connect({ servers: infra.nats.url });
    // What the runners create, so history has a stream to consume.
    await (
      await jetstreamManager(nc)
    ).streams.add({ name: Streams.ticks.name, subjects: [...Streams.ticks.subjects] });
    await nc.close();
    const { exit, service } = await sigtermWithBrokersDown({
      entry: `apps/${app}/src/main.ts`,
      env: infra.env,
      ready,
      down: redis
        ? [
            [infra.nats, 'NATS disconnected'],
            [infra.redis, 'Redis connection lost'],
          ]
        : [[infra.nats, 'NATS disconnected']],
      shutdownTimeoutMs: 3000,
    });
    expect({ app, exit }).toEqual({ app, exit: { code: 0, signal: null } });
    if (app === 'tick-runner')
      expect(service.lines().some((l) => l.msg === 'runner stopped')).toBe(true);
  });
});
