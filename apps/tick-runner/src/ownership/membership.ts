import type { Redis } from 'ioredis';
import { RedisKeys } from '@canopy/contracts';

/**
 * Runner membership: a Redis sorted set of runner ids scored by expiry on Redis' own clock. A runner
 * that stops heartbeating drops out after the TTL; a clean leave removes it at once.
 */
export class Membership {
  constructor(
    private readonly redis: Redis,
    readonly runnerId: string,
    private readonly ttlMs: number,
  ) {}

  /** Refreshes our entry and returns the live members, sorted. */
  async heartbeat(): Promise<string[]> {
    const live = await this.redis.canopyHeartbeat(RedisKeys.runners, this.runnerId, this.ttlMs);
    return [...live].sort();
  }

  /** Removes our entry; returns who is left. */
  async leave(): Promise<string[]> {
    const live = await this.redis.canopyHeartbeat(RedisKeys.runners, this.runnerId, 0);
    return [...live].sort();
  }
}
