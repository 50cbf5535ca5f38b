import type { Redis, Result } from 'ioredis';
import { RedisKeys, type TickRecordMessage } from '@canopy/contracts';
import type { Checkpoint } from '@canopy/engine';
import { metaFromHash, metaToHash, type ExecMeta } from './execution-meta';
import { execScope, teamScope, type ScopeData } from './scope-cache';

/**
 * Creates the execution's metadata and its initial exec-scope values in one step, refusing an id
 * that exists. Both live under the hash tag `{exec:<id>}` (one Cluster slot).
 * KEYS: meta, exec values, exec versions. ARGV: n meta pairs, pairs..., then key/json pairs.
 */
const CREATE_LUA = `
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

declare module 'ioredis' {
  interface RedisCommander<Context> {
    canopyCreateExec(meta: string, values: string, versions: string, ...args: (string | number)[]): Result<number, Context>;
  }
}

/** Executions in Redis: metadata hash, checkpoint, exec scope hashes and the two indexes. */
export class ExecutionStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('canopyCreateExec', { lua: CREATE_LUA, numberOfKeys: 3 });
  }

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
    const created = await this.redis.canopyCreateExec(
      RedisKeys.execMeta(meta.id),
      RedisKeys.scopeValues(scope),
      RedisKeys.scopeVersions(scope),
      pairs.length / 2,
      ...pairs,
      ...values,
    );
    if (Number(created) !== 1) return false;
    const multi = this.redis.multi();
    if (checkpoint) multi.set(RedisKeys.execCheckpoint(meta.id), JSON.stringify(checkpoint));
    await multi
      .zadd(RedisKeys.execIndex, Date.parse(meta.createdAt), meta.id)
      .sadd(RedisKeys.shardExecs(shard), meta.id)
      .exec();
    return true;
  }

  async readMeta(id: string): Promise<ExecMeta | undefined> {
    return metaFromHash(await this.redis.hgetall(RedisKeys.execMeta(id)));
  }

  async readMetas(ids: string[]): Promise<ExecMeta[]> {
    if (ids.length === 0) return [];
    const replies = await this.redis.pipeline(ids.map((id) => ['hgetall', RedisKeys.execMeta(id)])).exec();
    const metas: ExecMeta[] = [];
    for (const [error, hash] of replies ?? []) {
      if (error) throw error;
      const meta = metaFromHash(hash as Record<string, string>);
      if (meta) metas.push(meta);
    }
    return metas;
  }

  async readCheckpoint(id: string): Promise<Checkpoint | undefined> {
    const json = await this.redis.get(RedisKeys.execCheckpoint(id));
    return json ? (JSON.parse(json) as Checkpoint) : undefined;
  }

  /** The outbox: the last committed tick's message. */
  async readLastRecord(id: string): Promise<TickRecordMessage | undefined> {
    const json = await this.redis.get(RedisKeys.execLastRecord(id));
    return json ? (JSON.parse(json) as TickRecordMessage) : undefined;
  }

  /** Execution ids, oldest first. */
  listIds(limit: number): Promise<string[]> {
    return this.redis.zrange(RedisKeys.execIndex, 0, limit - 1);
  }

  shardIds(shard: number): Promise<string[]> {
    return this.redis.smembers(RedisKeys.shardExecs(shard));
  }

  /** Reads one scope (values and versions in one transaction, so they agree). */
  async loadScope(scope: string): Promise<ScopeData> {
    const replies = await this.redis
      .multi()
      .hgetall(RedisKeys.scopeValues(scope))
      .hgetall(RedisKeys.scopeVersions(scope))
      .exec();
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

  /** Removes everything of an execution (its private team scope too). */
  async delete(id: string, shard: number, team: string | undefined): Promise<boolean> {
    const exec = execScope(id);
    const keys = [
      RedisKeys.execMeta(id),
      RedisKeys.execCheckpoint(id),
      RedisKeys.execLastRecord(id),
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
    const replies = await pipeline.exec();
    return Number(replies?.[0]?.[1] ?? 0) > 0;
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
