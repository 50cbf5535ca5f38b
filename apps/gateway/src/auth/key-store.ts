import {
  API_KEY_PREFIX,
  type ApiKey,
  type CreatedKey,
  type CreateKeyRequest,
  RedisKeys,
  RoleSchema,
} from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';

/**
 * SHA-256, not a slow password hash: keys are 256 random bits, so nobody can guess one from its
 * hash however fast the hash is, and the gateway hashes a key on every request.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: the prefix, then 32 random bytes (base64url). */
export function generateKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** API keys in Redis, by the hash of the key (RedisKeys.apiKey), listed by id (apiKeyIndex). */
@Injectable()
export class KeyStore {
  constructor(private readonly redis: Redis) {}

  async create(req: CreateKeyRequest): Promise<CreatedKey> {
    const key = generateKey();
    const hash = hashKey(key);
    const record: ApiKey = {
      id: randomBytes(8).toString('hex'),
      role: req.role,
      ...(req.teams ? { teams: [...new Set(req.teams)] } : {}),
      ...(req.name ? { name: req.name } : {}),
      createdAt: new Date().toISOString(),
    };
    await this.redis
      .multi()
      .hset(RedisKeys.apiKey(hash), toHash(record))
      .hset(RedisKeys.apiKeyIndex, record.id, hash)
      .exec();
    return { ...record, key };
  }

  /**
   * The key's record, or undefined for a key never made or revoked. Redis away: 503
   * DEPENDENCY_UNAVAILABLE (with Retry-After), never a 401 that would look like a revoked key.
   */
  async lookup(key: string): Promise<ApiKey | undefined> {
    let fields: Record<string, string>;
    try {
      fields = await this.redis.hgetall(RedisKeys.apiKey(hashKey(key)));
    } catch (error) {
      throw new AppError(
        'DEPENDENCY_UNAVAILABLE',
        'cannot check the API key: Redis is unavailable',
        undefined,
        {},
        { cause: error },
      );
    }
    return fromHash(fields);
  }

  async list(): Promise<ApiKey[]> {
    const hashes = Object.values(await this.redis.hgetall(RedisKeys.apiKeyIndex));
    const records = await Promise.all(
      hashes.map(async (hash) => fromHash(await this.redis.hgetall(RedisKeys.apiKey(hash)))),
    );
    return records
      .filter((record): record is ApiKey => record !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Revokes at once: the next request with the key is refused. */
  async revoke(id: string): Promise<void> {
    const hash = await this.redis.hget(RedisKeys.apiKeyIndex, id);
    if (!hash) throw new AppError('NOT_FOUND', `no API key with id ${id}`);
    await this.redis.multi().del(RedisKeys.apiKey(hash)).hdel(RedisKeys.apiKeyIndex, id).exec();
  }
}

function toHash(record: ApiKey): Record<string, string> {
  return {
    id: record.id,
    role: record.role,
    createdAt: record.createdAt,
    ...(record.teams ? { teams: JSON.stringify(record.teams) } : {}),
    ...(record.name ? { name: record.name } : {}),
  };
}

function fromHash(fields: Record<string, string>): ApiKey | undefined {
  const role = RoleSchema.safeParse(fields.role);
  if (!fields.id || !role.success) return undefined;
  return {
    id: fields.id,
    role: role.data,
    createdAt: fields.createdAt ?? '',
    ...(fields.teams ? { teams: JSON.parse(fields.teams) as string[] } : {}),
    ...(fields.name ? { name: fields.name } : {}),
  };
}
