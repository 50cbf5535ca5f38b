// A real tick runner in-process next to the gateway (test wiring only: apps never import apps).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TickRunner } from '@canopy/tick-runner';
import { DEFAULT_SHARD_COUNT } from '@canopy/contracts';
import { createLogger, TracedNats } from '@canopy/telemetry';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';

export interface InProcessRunner {
  runner: TickRunner;
  stop(): Promise<void>;
}

/**
 * Starts the real tick runner on its own NATS and Redis connections. It holds every shard (it is
 * alone), with the gateway's default SHARD_COUNT so the gateway's command subjects reach it.
 */
export async function startRunner(
  urls: { nats: string; redis: string },
  runnerId = 'runner-1',
): Promise<InProcessRunner> {
  const log = createLogger('tick-runner', { level: 'silent' });
  const nc = await connect({ servers: urls.nats });
  const redis = new Redis(urls.redis, { maxRetriesPerRequest: 0 });
  const runner = new TickRunner(
    { runnerId, shardCount: DEFAULT_SHARD_COUNT, leaseTtlMs: 3000, actionTimeoutMs: 5000 },
    { nats: new TracedNats(nc, jetstream(nc), { logger: log }), redis, log },
  );
  await runner.start();
  return {
    runner,
    stop: async () => {
      await runner.stop();
      await nc.drain();
      redis.disconnect();
    },
  };
}
