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

  /**
   * Refreshes our entry; returns the live members, sorted, and in how many ms the first of the
   * others expires unless it renews (Infinity when alone).
   */
  async heartbeat(): Promise<LiveMembers> {
    return parse(await this.redis.canopyHeartbeat(RedisKeys.runners, this.runnerId, this.ttlMs), this.runnerId);
  }

  /** Removes our entry; returns who is left. */
  async leave(): Promise<string[]> {
    return parse(await this.redis.canopyHeartbeat(RedisKeys.runners, this.runnerId, 0), this.runnerId).members;
  }
}

export interface LiveMembers {
  members: string[];
  nextExpiryMs: number;
}

function parse(flat: string[], me: string): LiveMembers {
  const members: string[] = [];
  let nextExpiryMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < flat.length; i += 2) {
    members.push(flat[i]);
    if (flat[i] !== me) nextExpiryMs = Math.min(nextExpiryMs, Number(flat[i + 1]));
  }
  return { members: members.sort(), nextExpiryMs };
}
