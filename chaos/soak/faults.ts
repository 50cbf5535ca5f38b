import { DEFAULT_SHARD_COUNT } from '@canopy/contracts';
import { type ServiceProcess, type Stack, waitForShards } from '@canopy/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The chaos suite's faults, each ending with everything back (same ports, same data). */
export const FAULTS: Record<string, (stack: Stack, round: number) => Promise<void>> = {
  /** kill -9, wait until the survivors hold every shard (the lease TTL), start it again. */
  'kill-runner': async (stack, round) => {
    const victim = stack.runners[round % stack.runners.length];
    await victim.kill();
    await waitForShards(
      stack.runners.filter((r) => r !== victim),
      DEFAULT_SHARD_COUNT,
      60_000,
    );
    await rejoin(stack, victim);
  },
  'redis-restart': async (stack) => {
    await stack.infra.redis.stop();
    await sleep(2000);
    await stack.infra.redis.restart();
  },
  'nats-restart': async (stack) => {
    await stack.infra.nats.stop();
    await sleep(2000);
    await stack.infra.nats.restart();
  },
  'history-kill': async (stack) => {
    const history = stack.history as ServiceProcess;
    await history.kill();
    await sleep(2000);
    history.start();
    await history.waitReady(90_000);
  },
  /** SIGTERM: the runner hands its shards over and exits; then it comes back. */
  'sigterm-runner': async (stack, round) => {
    const leaving = stack.runners[(round + 1) % stack.runners.length];
    await leaving.stop('SIGTERM', 30_000);
    await rejoin(stack, leaving);
  },
};

async function rejoin(stack: Stack, runner: ServiceProcess): Promise<void> {
  runner.start();
  await runner.waitReady(90_000);
  await waitForShards(stack.runners, DEFAULT_SHARD_COUNT, 60_000);
}
