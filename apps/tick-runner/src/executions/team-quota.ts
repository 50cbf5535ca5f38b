import { RedisKeys } from '@canopy/contracts';
import { reachRedis } from '@canopy/service-kit';
import type { Redis } from 'ioredis';

/** TEAM_MAX_EXECUTIONS' default. */
export const TEAM_MAX_EXECUTIONS_DEFAULT = 1000;

/**
 * Takes a place for an execution in its team's set, atomically: check and add in one script, so
 * runners creating executions of one team at once cannot go past the limit together. 1 = taken
 * 2 = already held by this id (an execution that exists), 0 = the team is full.
 * KEYS: team executions. ARGV: execution id, limit.
 */
export const RESERVE_TEAM_EXEC_LUA = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 2 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

/** How many executions each team may have: every execution of a team holds a place until deleted. */
export class TeamQuota {
  constructor(
    private readonly redis: Redis,
    readonly max: number,
  ) {}

  /** `taken`: a new place, to give back if the create fails; `held`: the id had one already. */
  async reserve(team: string, execId: string): Promise<'taken' | 'held' | 'full'> {
    const reply = await reachRedis(() =>
      this.redis.canopyReserveTeamExec(RedisKeys.teamExecs(team), execId, this.max),
    );
    return Number(reply) === 1 ? 'taken' : Number(reply) === 2 ? 'held' : 'full';
  }

  async release(team: string, execId: string): Promise<void> {
    await reachRedis(() => this.redis.srem(RedisKeys.teamExecs(team), execId));
  }
}
