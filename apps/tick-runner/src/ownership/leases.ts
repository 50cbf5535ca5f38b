import type { Redis } from 'ioredis';
import { RedisKeys } from '@canopy/contracts';
import { reachRedis } from '@canopy/service-kit';

export interface LeaseHolder {
  owner: string;
  epoch: number;
}

/** Shard leases with fencing epochs (scripts in leases.lua.ts). */
export class Leases {
  constructor(
    private readonly redis: Redis,
    private readonly runnerId: string,
    private readonly ttlMs: number,
  ) {}

  /** Our epoch if we hold (or just took) the lease, undefined when another runner holds it. */
  async acquire(shard: number): Promise<number | undefined> {
    const [ok, value] = await this.redis.canopyAcquire(
      RedisKeys.lease(shard),
      RedisKeys.leaseEpoch(shard),
      this.runnerId,
      this.ttlMs,
    );
    return Number(ok) === 1 ? Number(value) : undefined;
  }

  /** Renews every held lease in one round trip; returns the shards whose renewal failed. */
  async renewAll(held: ReadonlyMap<number, number>): Promise<number[]> {
    if (held.size === 0) return [];
    const shards = [...held.keys()];
    const pipeline = this.redis.pipeline();
    for (const shard of shards) {
      pipeline.canopyRenew(RedisKeys.lease(shard), this.runnerId, held.get(shard) as number, this.ttlMs);
    }
    const replies = await pipeline.exec();
    return shards.filter((_, i) => {
      const [error, renewed] = replies?.[i] ?? [new Error('no reply'), 0];
      return error !== null || Number(renewed) !== 1;
    });
  }

  async release(shard: number, epoch: number): Promise<void> {
    await this.redis.canopyRelease(RedisKeys.lease(shard), this.runnerId, epoch);
  }

  async holder(shard: number): Promise<LeaseHolder | undefined> {
    const hash = await reachRedis(() => this.redis.hgetall(RedisKeys.lease(shard)));
    return hash.owner ? { owner: hash.owner, epoch: Number(hash.epoch) } : undefined;
  }

  /** The holders of many shards in one round trip (execution listings show the owner). */
  async holders(shards: number[]): Promise<Map<number, string>> {
    const unique = [...new Set(shards)];
    const out = new Map<number, string>();
    if (unique.length === 0) return out;
    const replies = await reachRedis(() => this.redis.pipeline(unique.map((s) => ['hget', RedisKeys.lease(s), 'owner'])).exec());
    unique.forEach((shard, i) => {
      const owner = replies?.[i]?.[1];
      if (typeof owner === 'string') out.set(shard, owner);
    });
    return out;
  }
}
