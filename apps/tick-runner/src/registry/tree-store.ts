import type { Redis } from 'ioredis';
import { RedisKeys, type TreeRecord, type TreeSummary } from '@canopy/contracts';
import { reachRedis } from '@canopy/service-kit';

/**
 * Allocates the next version and stores the record under it, atomically, so two registrations of
 * the same tree never share a version and `latest` never points at a missing record.
 * KEYS: tree(name). ARGV: record JSON (without its version). Replies the version.
 */
export const REGISTER_TREE_LUA = `
local v = redis.call('HINCRBY', KEYS[1], 'latest', 1)
redis.call('HSET', KEYS[1], tostring(v), ARGV[1])
return v
`;

/** A stored version: the record without its version number (the hash field is the version). */
export type StoredTree = Omit<TreeRecord, 'version'>;

/**
 * Trees in Redis: one hash per tree name (`latest` -> newest version, `<n>` -> record JSON) and a
 * set of names. Versions are kept forever: executions pin a version.
 */
export class TreeStore {
  constructor(private readonly redis: Redis) {}

  async add(record: StoredTree): Promise<number> {
    const version = await reachRedis(() => this.redis.canopyRegisterTree(RedisKeys.tree(record.name), JSON.stringify(record)));
    await reachRedis(() => this.redis.sadd(RedisKeys.treeIndex, record.name));
    return Number(version);
  }

  async get(name: string, version?: number): Promise<TreeRecord | undefined> {
    const key = RedisKeys.tree(name);
    const v = version ?? Number(await reachRedis(() => this.redis.hget(key, 'latest')));
    if (!v) return undefined;
    const json = await reachRedis(() => this.redis.hget(key, String(v)));
    if (json === null) return undefined;
    return { ...(JSON.parse(json) as StoredTree), version: v };
  }

  async names(): Promise<string[]> {
    return (await reachRedis(() => this.redis.smembers(RedisKeys.treeIndex))).sort();
  }

  /** The latest version of every tree, by name. */
  async list(): Promise<TreeSummary[]> {
    const names = await this.names();
    if (names.length === 0) return [];
    const latest = await reachRedis(() => this.redis.pipeline(names.map((n) => ['hget', RedisKeys.tree(n), 'latest'])).exec());
    const versions = (latest ?? []).map(([, v]) => Number(v));
    const records = await reachRedis(() => this.redis.pipeline(names.map((n, i) => ['hget', RedisKeys.tree(n), String(versions[i])])).exec());
    const out: TreeSummary[] = [];
    (records ?? []).forEach(([, json], i) => {
      if (typeof json !== 'string') return;
      const stored = JSON.parse(json) as StoredTree;
      out.push({
        name: stored.name,
        version: versions[i],
        nodeCount: stored.nodeCount,
        createdAt: stored.createdAt,
        trees: stored.trees,
      });
    });
    return out;
  }
}
