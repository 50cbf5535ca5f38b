import type { Redis, Result } from 'ioredis';
import { COMMIT_BATCH_LUA, COMMIT_LUA } from './commit/commit.lua';
import { APPEND_EVENT_LUA, LOAD_EVENTS_LUA } from './executions/event-store';
import { CREATE_EXEC_LUA, RELEASE_HOLDERS_LUA } from './executions/execution-store';
import { ACQUIRE_LUA, HEARTBEAT_LUA, RELEASE_LUA, RENEW_LUA } from './ownership/leases.lua';
import { RESERVE_TEAM_EXEC_LUA } from './executions/team-quota';
import { REGISTER_TREE_LUA } from './registry/tree-store';

/** Script arguments; Buffers go out as they are (the tick record's JSON bytes, not encoded again). */
type Arg = string | number | Buffer;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    canopyCommit(numKeys: number, ...args: Arg[]): Result<unknown[], Context>;
    canopyCommitBatch(numKeys: number, ...args: Arg[]): Result<unknown[][], Context>;
    canopyCreateExec(meta: string, values: string, versions: string, ...args: (string | number)[]): Result<number, Context>;
    canopyReleaseHolders(values: string, versions: string, prefix: string, holder: string): Result<unknown[], Context>;
    canopyAcquire(lease: string, epochKey: string, owner: string, ttlMs: number): Result<[number, number | string], Context>;
    canopyRenew(lease: string, owner: string, epoch: number, ttlMs: number): Result<number, Context>;
    canopyRelease(lease: string, owner: string, epoch: number): Result<number, Context>;
    canopyHeartbeat(runners: string, runner: string, ttlMs: number): Result<string[], Context>;
    canopyRegisterTree(treeKey: string, record: string): Result<number, Context>;
    canopyAppendEvent(lease: string, meta: string, events: string, runner: string, epoch: number, bound: number, name: string, payload: string): Result<unknown[], Context>;
    canopyLoadEvents(events: string): Result<string[], Context>;
    canopyReserveTeamExec(teamExecs: string, execId: string, max: number): Result<number, Context>;
  }
}

const defined = new WeakSet<Redis>();

/**
 * Registers every Lua script of the runner on a client, in this one place (EVALSHA with automatic
 * script loading, also in pipelines). Idempotent per client.
 */
export function defineScripts(redis: Redis): Redis {
  if (defined.has(redis)) return redis;
  redis.defineCommand('canopyCommit', { lua: COMMIT_LUA });
  redis.defineCommand('canopyCommitBatch', { lua: COMMIT_BATCH_LUA });
  redis.defineCommand('canopyCreateExec', { lua: CREATE_EXEC_LUA, numberOfKeys: 3 });
  redis.defineCommand('canopyReleaseHolders', { lua: RELEASE_HOLDERS_LUA, numberOfKeys: 2 });
  redis.defineCommand('canopyAcquire', { lua: ACQUIRE_LUA, numberOfKeys: 2 });
  redis.defineCommand('canopyRenew', { lua: RENEW_LUA, numberOfKeys: 1 });
  redis.defineCommand('canopyRelease', { lua: RELEASE_LUA, numberOfKeys: 1 });
  redis.defineCommand('canopyHeartbeat', { lua: HEARTBEAT_LUA, numberOfKeys: 1 });
  redis.defineCommand('canopyRegisterTree', { lua: REGISTER_TREE_LUA, numberOfKeys: 1 });
  redis.defineCommand('canopyAppendEvent', { lua: APPEND_EVENT_LUA, numberOfKeys: 3 });
  redis.defineCommand('canopyLoadEvents', { lua: LOAD_EVENTS_LUA, numberOfKeys: 1 });
  redis.defineCommand('canopyReserveTeamExec', { lua: RESERVE_TEAM_EXEC_LUA, numberOfKeys: 1 });
  defined.add(redis);
  return redis;
}
