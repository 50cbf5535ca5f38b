import { pollUntil } from './poll';
import type { ServiceProcess } from './service-process';

/** What a tick runner's `GET /status` answers (the part tests read). */
export interface RunnerStatus {
  runnerId: string;
  members: string[];
  shards: number[];
  executions: number;
}

/** The runner's `/status`, or undefined while it does not answer. */
export async function runnerStatus(runner: ServiceProcess): Promise<RunnerStatus | undefined> {
  try {
    const res = await fetch(`${runner.url}/status`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as RunnerStatus) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls until the given runners hold every one of `shardCount` shards between them, each shard
 * once, and each runner sees exactly these runners as members (a rebalance has settled).
 */
export async function waitForShards(
  runners: ServiceProcess[],
  shardCount: number,
  timeoutMs = 30_000,
): Promise<RunnerStatus[]> {
  let last: (RunnerStatus | undefined)[] = [];
  const settled = async () => {
    last = await Promise.all(runners.map((r) => runnerStatus(r)));
    const held = last.flatMap((s) => s?.shards ?? []);
    return (
      last.every((s) => s && s.members.length === runners.length && s.shards.length > 0) &&
      held.length === shardCount &&
      new Set(held).size === shardCount
    );
  };
  try {
    await pollUntil('shards settled', settled, { timeoutMs, intervalMs: 100 });
  } catch {
    throw new Error(`shards did not settle within ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }
  return last as RunnerStatus[];
}
