import { DEFAULT_SHARD_COUNT } from '@canopy/contracts';
import { type ServiceProcess, startService, waitForShards } from '@canopy/testing';
import { SERVICE_LOG_LEVEL } from './gateway-harness';

export interface RunnerProcess {
  /** The tick-runner service as its own process (`/status`, `/metrics`, its log). */
  service: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * Starts the real tick runner as a process and waits until it holds every shard (it is alone),
 * with the gateway's default SHARD_COUNT so the gateway's command subjects reach it.
 */
export async function startRunner(
  urls: { nats: string; redis: string },
  runnerId = 'runner-1',
): Promise<RunnerProcess> {
  const service = await startService('tick-runner', {
    name: runnerId,
    env: {
      NATS_URL: urls.nats,
      REDIS_URL: urls.redis,
      RUNNER_ID: runnerId,
      SHARD_COUNT: String(DEFAULT_SHARD_COUNT),
      LEASE_TTL_MS: '3000',
      ACTION_TIMEOUT_MS: '5000',
      LOG_LEVEL: SERVICE_LOG_LEVEL,
    },
  });
  try {
    await waitForShards([service], DEFAULT_SHARD_COUNT);
  } catch (error) {
    await service.dispose();
    throw error;
  }
  return { service, stop: async () => void (await service.dispose()) };
}
