import { type RedisHandle, startRedis } from '@canopy/testing';
import Redis from 'ioredis';
import { once } from 'node:events';
import { AppError } from '../errors/app-error';
import { reachRedis } from './reach-redis';

describe(reachRedis.name, () => {
  let server: RedisHandle;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    // The kit's client options that matter here: fail at once while disconnected.
    redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await once(redis, 'ready');
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.dispose();
  });

  it('passes results through', async () => {
    await redis.set('k', 'v');
    await expect(reachRedis(() => redis.get('k'))).resolves.toBe('v');
  });

  it('rethrows an error reply that is this service’s mistake as it is', async () => {
    await redis.set('a-string', 'x');
    const error = await reachRedis(() => redis.hget('a-string', 'f')).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AppError);
    expect(String(error)).toContain('WRONGTYPE');
  });

  it('rethrows AppErrors raised inside unchanged', async () => {
    const own = new AppError('KEY_NOT_FOUND', 'no such key');
    await expect(reachRedis(() => Promise.reject(own))).rejects.toBe(own);
  });

  it('answers DEPENDENCY_UNAVAILABLE, naming the store, while Redis is down', async () => {
    await server.stop();
    if (redis.status === 'ready') await once(redis, 'close');
    const error = await reachRedis(() => redis.get('k'), 'history storage').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).toBody()).toEqual({
      error: {
        code: 'DEPENDENCY_UNAVAILABLE',
        message: expect.stringMatching(/^history storage unavailable: /),
      },
    });
    expect((error as AppError).httpStatus).toBe(503);
  });
});
