import { RedisKeys } from '@canopy/contracts';
import { SHARDS, useRunners, waitFor } from './harness';

jest.setTimeout(60_000);

const TTL_MS = 600;

describe('tick-runner: leases renew on a Redis connection of their own', () => {
  const fx = useRunners({ runners: [{ runnerId: 'runner-l', leaseTtlMs: TTL_MS }] });

  const epochs = async () => {
    const redis = fx.runner.redis;
    return Promise.all(Array.from({ length: SHARDS }, (_, shard) => redis.hget(RedisKeys.lease(shard), 'epoch')));
  };

  it('a main connection busy for longer than the lease TTL does not cost the runner its shards', async () => {
    const { runner } = fx.runner;
    await waitFor('every shard held', () => runner.shards.heldShards().length === SHARDS);
    const before = await epochs();
    const changes = runner.metrics.leaseChanges;

    // The runner's main connection answers in order: a BLPOP of 4 TTLs holds everything queued
    // behind it (commits, reads, and before this fix the renewals), as a backlog of commits did.
    const busy = fx.runner.redis.blpop('canopy:test:nothing', (4 * TTL_MS) / 1000);
    // Meanwhile the leases are renewed: a lease's time to live goes back up several times.
    const lease = RedisKeys.lease(0);
    let renewals = 0;
    let last = Number.POSITIVE_INFINITY;
    const watcher = fx.runner.redis.duplicate();
    try {
      await waitFor('three renewals while the main connection is busy', async () => {
        const ttl = await watcher.pttl(lease);
        if (ttl > last) renewals++;
        last = ttl;
        return renewals >= 3;
      });
    } finally {
      watcher.disconnect();
    }
    await expect(busy).resolves.toBeNull();

    expect(runner.shards.heldShards()).toHaveLength(SHARDS);
    expect(await epochs()).toEqual(before);
    expect(runner.metrics.leaseChanges).toBe(changes);
  });
});
