import { connect } from 'node:net';
import Redis from 'ioredis';
import { startRedis, type RedisHandle } from './index';

describe(startRedis.name, () => {
  const handles: RedisHandle[] = [];
  const start = async (appendonly: boolean): Promise<RedisHandle> => {
    const handle = await startRedis({ appendonly });
    handles.push(handle);
    return handle;
  };

  /** Runs `fn` with a fresh client and closes it, so no reconnect timers outlive the test. */
  const withClient = async <T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      return await fn(redis);
    } finally {
      await redis.quit();
    }
  };

  afterAll(async () => {
    await Promise.all(handles.map((h) => h.dispose()));
  });

  it('serves a private port, never the machine-wide 6379', async () => {
    const sut = await start(false);
    expect(sut.port).not.toBe(6379);
    await withClient(sut.url, async (redis) => {
      await redis.set('k', 'v');
      expect(await redis.get('k')).toBe('v');
    });
  });

  it('keeps keys across restart with appendonly', async () => {
    const sut = await start(true);
    await withClient(sut.url, (redis) => redis.set('global:key', 'survives'));

    await sut.restart();

    expect(await withClient(sut.url, (redis) => redis.get('global:key'))).toBe('survives');
  });

  it('loses keys across restart without appendonly', async () => {
    const sut = await start(false);
    await withClient(sut.url, (redis) => redis.set('volatile', '1'));

    await sut.restart();

    expect(await withClient(sut.url, (redis) => redis.get('volatile'))).toBeNull();
  });

  it('refuses connections after stop and serves the same port after restart, from a new process', async () => {
    const sut = await start(false);
    const firstPid = sut.pid;
    expect(firstPid).toEqual(expect.any(Number));
    await sut.stop();
    expect(await connectionRefused(sut.port)).toBe(true);
    expect(sut.pid).toBeUndefined();

    await sut.restart();
    expect(await withClient(sut.url, (redis) => redis.ping())).toBe('PONG');
    expect(sut.pid).toEqual(expect.any(Number));
    expect(sut.pid).not.toBe(firstPid);
  });
});

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
