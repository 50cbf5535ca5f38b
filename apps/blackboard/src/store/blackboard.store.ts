import { BB_LIST_PAGE_BYTES, RedisKeys, type BbListPage, type BlackboardEntry } from '@canopy/contracts';
import { luaScript, reachRedis, runScript } from '@canopy/service-kit';
import type Redis from 'ioredis';
import { DELETE_SCRIPT, LIST_SCRIPT, PUT_SCRIPT } from './scripts';

const put = luaScript(PUT_SCRIPT);
const del = luaScript(DELETE_SCRIPT);
const list = luaScript(LIST_SCRIPT);
const STORAGE = 'blackboard storage';

export type PutResult = { ok: true; version: number } | { ok: false; currentVersion: number };
export type DeleteResult =
  | { ok: true; version: number }
  | { ok: false; reason: 'conflict'; currentVersion: number }
  | { ok: false; reason: 'absent' };

/** Redis access for blackboard scopes; knows the storage format, not the service's rules. */
export class BlackboardStore {
  constructor(private readonly redis: Redis) {}

  async get(scope: string, key: string): Promise<BlackboardEntry | undefined> {
    const replies = await reachRedis(
      () =>
        this.redis
          .multi()
          .hget(RedisKeys.scopeValues(scope), key)
          .hget(RedisKeys.scopeVersions(scope), key)
          .exec(),
      STORAGE,
    );
    const [valueReply, versionReply] = replies ?? [];
    const json = resultOf(valueReply);
    if (typeof json !== 'string') return undefined;
    return { scope, key, value: JSON.parse(json), version: Number(resultOf(versionReply) ?? 0) };
  }

  /** `expectedVersion` undefined: unconditional; 0: create only; n: only if the live version is n. */
  async put(
    scope: string,
    key: string,
    value: unknown,
    expectedVersion?: number,
  ): Promise<PutResult> {
    const reply = await reachRedis(
      () =>
        runScript(this.redis, put, keysOf(scope), [
          key,
          JSON.stringify(value),
          cas(expectedVersion),
        ]),
      STORAGE,
    );
    const [ok, version] = pair(reply);
    return ok === 1 ? { ok: true, version } : { ok: false, currentVersion: version };
  }

  async delete(scope: string, key: string, expectedVersion?: number): Promise<DeleteResult> {
    const reply = await reachRedis(
      () => runScript(this.redis, del, keysOf(scope), [key, cas(expectedVersion)]),
      STORAGE,
    );
    const [ok, version] = pair(reply);
    if (ok === 1) return { ok: true, version };
    if (ok === 0) return { ok: false, reason: 'conflict', currentVersion: version };
    return { ok: false, reason: 'absent' };
  }

  /** One page of the scope's entries in key order after `after` (BbListRequest). */
  async list(scope: string, prefix = '', after = '', pageBytes = BB_LIST_PAGE_BYTES): Promise<BbListPage> {
    const reply = await reachRedis(
      () => runScript(this.redis, list, keysOf(scope), [prefix, after, String(pageBytes)]),
      STORAGE,
    );
    const flat = Array.isArray(reply) ? reply.map(String) : [];
    const entries: BlackboardEntry[] = [];
    for (let i = 1; i + 2 < flat.length; i += 3) {
      entries.push({
        scope,
        key: flat[i],
        value: JSON.parse(flat[i + 1]),
        version: Number(flat[i + 2]),
      });
    }
    const more = flat[0] === '1' && entries.length > 0;
    return more ? { entries, next: entries[entries.length - 1].key } : { entries };
  }
}

function keysOf(scope: string): string[] {
  return [RedisKeys.scopeValues(scope), RedisKeys.scopeVersions(scope)];
}

function cas(expectedVersion: number | undefined): string {
  return expectedVersion === undefined ? '' : String(expectedVersion);
}

function pair(reply: unknown): [number, number] {
  if (!Array.isArray(reply) || reply.length !== 2)
    throw new Error(`unexpected script reply: ${String(reply)}`);
  return [Number(reply[0]), Number(reply[1])];
}

/** A MULTI reply item is [error, result]; a failed command fails the whole read. */
function resultOf(item: [Error | null, unknown] | undefined): unknown {
  if (!item) return undefined;
  if (item[0]) throw item[0];
  return item[1];
}
