import type { Redis } from 'ioredis';
import { RedisKeys } from '@canopy/contracts';
import { SEMAPHORE_KEY_PREFIX, type Checkpoint } from '@canopy/engine';
import type { CommittedWrite } from '../delivery/publisher';
import { reachRedis } from '@canopy/service-kit';
import { metaFromHash, metaToHash, type ExecMeta } from './execution-meta';
import { execScope, teamScope, type ScopeData } from './scope-cache';

/**
 * Creates the execution's metadata and its initial exec-scope values in one step, refusing an id
 * that exists. Both live under the hash tag `{exec:<id>}` (one Cluster slot).
 * KEYS: meta, exec values, exec versions. ARGV: n meta pairs, pairs..., then key/json pairs.
 */
export const CREATE_EXEC_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = tonumber(ARGV[1])
local fields = {}
for j = 1, n * 2 do fields[j] = ARGV[1 + j] end
redis.call('HSET', KEYS[1], unpack(fields))
local i = 2 + n * 2
while i <= #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[3], ARGV[i], 1)
  i = i + 2
end
return 1
`;

/**
 * Frees every semaphore slot an execution holds in a team scope: removes the holders `<execId>:*`
 * from each `__semaphore:*` key, bumping its version. Replies key, JSON, version per changed key.
 * KEYS: team values, team versions. ARGV: semaphore key prefix, holder prefix (`<execId>:`).
 */
export const RELEASE_HOLDERS_LUA = `
local out = {}
for _, key in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(key, 1, #ARGV[1]) == ARGV[1] then
    local ok, list = pcall(cjson.decode, redis.call('HGET', KEYS[1], key))
    if ok and type(list) == 'table' then
      local kept, changed = {}, false
      for _, h in ipairs(list) do
        if type(h) == 'string' and string.sub(h, 1, #ARGV[2]) == ARGV[2] then changed = true
        else kept[#kept + 1] = cjson.encode(h) end
      end
      if changed then
        local json = '[' .. table.concat(kept, ',') .. ']'
        redis.call('HSET', KEYS[1], key, json)
        out[#out + 1] = key
        out[#out + 1] = json
        out[#out + 1] = redis.call('HINCRBY', KEYS[2], key, 1)
      end
    end
  end
end
return out
`;

/** Executions in Redis: metadata hash, checkpoint, outbox, exec scope hashes and the two indexes. */
export class ExecutionStore {
  constructor(private readonly redis: Redis) {}

  /** Returns false when the id is taken. A fork starts from `checkpoint` (stored before it can be found). */
  async create(
    meta: ExecMeta,
    shard: number,
    blackboard: Record<string, unknown> = {},
    checkpoint?: Checkpoint,
  ): Promise<boolean> {
    const scope = execScope(meta.id);
    const pairs = Object.entries(metaToHash(meta)).flat();
    const values = Object.entries(blackboard).flatMap(([k, v]) => [k, JSON.stringify(v ?? null)]);
    const created = await reachRedis(() => this.redis.canopyCreateExec(
      RedisKeys.execMeta(meta.id),
      RedisKeys.scopeValues(scope),
      RedisKeys.scopeVersions(scope),
      pairs.length / 2,
      ...pairs,
      ...values,
    ));
    if (Number(created) !== 1) return false;
    const multi = this.redis.multi();
    if (checkpoint) multi.set(RedisKeys.execCheckpoint(meta.id), JSON.stringify(checkpoint));
    await reachRedis(() => 
      multi.zadd(RedisKeys.execIndex, Date.parse(meta.createdAt), meta.id).sadd(RedisKeys.shardExecs(shard), meta.id).exec(),
    );
    return true;
  }

  async readMeta(id: string): Promise<ExecMeta | undefined> {
    return metaFromHash(await reachRedis(() => this.redis.hgetall(RedisKeys.execMeta(id))));
  }

  async readMetas(ids: string[]): Promise<ExecMeta[]> {
    if (ids.length === 0) return [];
    const replies = await reachRedis(() => this.redis.pipeline(ids.map((id) => ['hgetall', RedisKeys.execMeta(id)])).exec());
    const metas: ExecMeta[] = [];
    for (const [error, hash] of replies ?? []) {
      if (error) throw error;
      const meta = metaFromHash(hash as Record<string, string>);
      if (meta) metas.push(meta);
    }
    return metas;
  }

  async readCheckpoint(id: string): Promise<Checkpoint | undefined> {
    const json = await reachRedis(() => this.redis.get(RedisKeys.execCheckpoint(id)));
    return json ? (JSON.parse(json) as Checkpoint) : undefined;
  }

  /** The debugger's state (breakpoints, watches, a paused tick), as JSON. */
  readDebug(id: string): Promise<string | null> {
    return reachRedis(() => this.redis.get(RedisKeys.execDebug(id)));
  }

  /** The outbox: committed tick records not yet known to be in the stream, oldest first. */
  async readOutbox(id: string): Promise<{ tick: number; record: string }[]> {
    const flat = await reachRedis(() => this.redis.zrange(RedisKeys.execOutbox(id), 0, -1, 'WITHSCORES'));
    const out: { tick: number; record: string }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ record: flat[i], tick: Number(flat[i + 1]) });
    return out;
  }

  /** Removes outbox entries the stream has acknowledged, up to each execution's tick. */
  async trimOutboxes(through: Map<string, number>): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [id, tick] of through) pipeline.zremrangebyscore(RedisKeys.execOutbox(id), '-inf', tick);
    const replies = await reachRedis(() => pipeline.exec());
    const failed = replies?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  /** Execution ids, oldest first. */
  listIds(limit: number): Promise<string[]> {
    return reachRedis(() => this.redis.zrange(RedisKeys.execIndex, 0, limit - 1));
  }

  shardIds(shard: number): Promise<string[]> {
    return reachRedis(() => this.redis.smembers(RedisKeys.shardExecs(shard)));
  }

  /** Reads one scope (values and versions in one transaction, so they agree). */
  async loadScope(scope: string): Promise<ScopeData> {
    const replies = await reachRedis(() => 
      this.redis.multi().hgetall(RedisKeys.scopeValues(scope)).hgetall(RedisKeys.scopeVersions(scope)).exec(),
    );
    const [valuesReply, versionsReply] = replies ?? [];
    if (valuesReply?.[0]) throw valuesReply[0];
    if (versionsReply?.[0]) throw versionsReply[0];
    const values = new Map<string, unknown>();
    for (const [key, json] of Object.entries((valuesReply?.[1] ?? {}) as Record<string, string>)) {
      values.set(key, parseJson(json));
    }
    const versions = new Map<string, number>();
    for (const [key, v] of Object.entries((versionsReply?.[1] ?? {}) as Record<string, string>)) {
      versions.set(key, Number(v));
    }
    return { values, versions };
  }

  /**
   * Removes everything of an execution (its private team scope too), after freeing the semaphore
   * slots it holds in a shared team scope. Returns those releases, to be announced.
   */
  async delete(
    id: string,
    shard: number,
    team: string | undefined,
  ): Promise<{ released: CommittedWrite[]; deleted: boolean }> {
    const released: CommittedWrite[] = [];
    if (team !== undefined) {
      const scope = teamScope(team, id);
      const flat = await reachRedis(() => 
        this.redis.canopyReleaseHolders(RedisKeys.scopeValues(scope), RedisKeys.scopeVersions(scope), SEMAPHORE_KEY_PREFIX, `${id}:`),
      );
      for (let i = 0; i < flat.length; i += 3) {
        released.push({ scope, key: String(flat[i]), value: JSON.parse(String(flat[i + 1])), deleted: false, version: Number(flat[i + 2]) });
      }
    }
    const exec = execScope(id);
    const keys = [
      RedisKeys.execMeta(id),
      RedisKeys.execCheckpoint(id),
      RedisKeys.execOutbox(id),
      RedisKeys.execDebug(id),
      RedisKeys.execEvents(id),
      RedisKeys.scopeValues(exec),
      RedisKeys.scopeVersions(exec),
    ];
    // Separate DELs: the keys span Cluster slots.
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.del(key);
    if (team === undefined) {
      pipeline.del(RedisKeys.scopeValues(teamScope(undefined, id)));
      pipeline.del(RedisKeys.scopeVersions(teamScope(undefined, id)));
    }
    pipeline.zrem(RedisKeys.execIndex, id);
    pipeline.srem(RedisKeys.shardExecs(shard), id);
    const replies = await reachRedis(() => pipeline.exec());
    // The meta's DEL (the first command) says whether this call or a concurrent one deleted it.
    const [metaError, metaDeleted] = replies?.[0] ?? [null, 0];
    return { released, deleted: !metaError && Number(metaDeleted) === 1 };
  }
}

/** Values are JSON; anything else written by hand is read as the raw string. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
