/**
 * The tick runners of the stack benchmark: BENCH_RUNNERS processes (default 1) on the stack's NATS
 * and Redis, the wait until the shards are split among them, and their metrics taken together.
 */
import { DEFAULT_SHARD_COUNT, rendezvousOwner } from '@canopy/contracts';
import type { MetricSamples } from '@canopy/testing';

export const RUNNERS = Number(process.env.BENCH_RUNNERS ?? 1);

/** RUNNER_IDs: `bench-runner` when alone (as before the knob), `bench-runner-1` .. `-N` otherwise. */
export function runnerIds(count: number): string[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`BENCH_RUNNERS=${count}: want an integer >= 1`);
  return count === 1
    ? ['bench-runner']
    : Array.from({ length: count }, (_, i) => `bench-runner-${i + 1}`);
}

/** How many shards each runner holds once all are members: rendezvous hashing, as the runners compute it. */
export function expectedShards(
  ids: string[],
  shardCount = DEFAULT_SHARD_COUNT,
): Map<string, number> {
  const out = new Map(ids.map((id) => [id, 0]));
  for (let shard = 0; shard < shardCount; shard++) {
    const owner = rendezvousOwner(shard, ids) as string;
    out.set(owner, (out.get(owner) ?? 0) + 1);
  }
  return out;
}

/**
 * Several runners' scrapes as one, key by key. Counters and histogram series (`_bucket{le}` counts
 * are cumulative per bound, `_sum`, `_count`) merge by addition, so deltas and quantiles computed on
 * the sum are those of all runners' observations together; summed gauges are totals (shards,
 * executions) or meaningless (schedule lag): read those per runner.
 */
export function sumSamples(list: MetricSamples[]): MetricSamples {
  const out: MetricSamples = new Map();
  for (const samples of list) {
    for (const [key, value] of samples) out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

export interface RunnerView {
  id: string;
  scrape(): Promise<MetricSamples>;
}

/**
 * Resolves once every runner sees all N as members and holds exactly the shards rendezvous hashing
 * gives it (so every shard is held, each by its final owner): a runner is ready as soon as it joined,
 * possibly before the others, and the first one up takes every shard until the others join and it
 * hands theirs over. Resolves with the last scrape of each runner.
 */
export async function waitForShardSplit(
  runners: RunnerView[],
  timeoutMs: number,
): Promise<MetricSamples[]> {
  const expected = expectedShards(runners.map((r) => r.id));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scrapes = await Promise.all(runners.map((r) => r.scrape()));
    const settled = runners.every(
      (r, i) =>
        scrapes[i].get('canopy_runner_members') === runners.length &&
        scrapes[i].get('canopy_runner_shards') === expected.get(r.id),
    );
    if (settled) return scrapes;
    if (Date.now() > deadline) {
      const seen = runners.map(
        (r, i) =>
          `${r.id}: ${scrapes[i].get('canopy_runner_shards')} shards (want ${expected.get(r.id)}), ` +
          `${scrapes[i].get('canopy_runner_members')} members`,
      );
      throw new Error(`shards not split within ${timeoutMs} ms: ${seen.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
