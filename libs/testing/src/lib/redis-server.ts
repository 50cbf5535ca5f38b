import { CONTAINER, resolveBinary } from './binary';
import { containerImages, launchContainer } from './containers';
import { redisPong } from './probes';
import { handleFor, launchServer, type ServerHandle } from './start-server';

export interface RedisServerOptions {
  /** Keep an append-only file so data survives `restart()`. Default false (memory only). */
  appendonly?: boolean;
  /** Path to redis-server; defaults to $REDIS_SERVER_BIN, then PATH. */
  binary?: string;
  /** Deadline for PING to answer PONG. Default 10 s. */
  startTimeoutMs?: number;
  /** ACL users, one rule list each (`redisAclOf`), given to redis-server as `--user` lines. */
  acl?: string[][];
}

export interface RedisHandle extends ServerHandle {
  /** Working dir (`--dir`), where the AOF lives; survives `stop()`/`restart()`. */
  readonly dir: string;
}

/** Spawns `redis-server` on a free loopback port and resolves once PING answers PONG. */
export async function startRedis(opts: RedisServerOptions = {}): Promise<RedisHandle> {
  const binary = await resolveBinary(
    { name: 'redis-server', envVar: 'REDIS_SERVER_BIN', aptPackage: 'redis-server' },
    opts.binary,
  );
  if (binary === CONTAINER) return startRedisContainer(opts);
  const launch = await launchServer('redis-server', 1, ([port], dir) => ({
    label: 'redis-server',
    binary,
    // `--save ""` turns RDB snapshots off: tests want either no persistence or the AOF.
    args: Object.entries({
      port: String(port),
      bind: '127.0.0.1',
      save: '',
      appendonly: opts.appendonly ? 'yes' : 'no',
      dir,
    })
      .flatMap(([name, value]) => [`--${name}`, value])
      .concat((opts.acl ?? []).flatMap((rules) => ['--user', ...rules])),
    isReady: () => redisPong(port),
    startTimeoutMs: opts.startTimeoutMs ?? 10_000,
  }));
  return handleFor(`redis://127.0.0.1:${launch.port}`, launch, { dir: launch.dir });
}

/** The same server in a container (no redis-server here, or CANOPY_TEST_INFRA=containers). */
async function startRedisContainer(opts: RedisServerOptions): Promise<RedisHandle> {
  const launch = await launchContainer({
    label: 'redis-server',
    image: containerImages().redis,
    ports: [6379],
    dataPath: '/data',
    command: ['redis-server', '--port', '6379', '--save', '', '--dir', '/data']
      .concat(['--appendonly', opts.appendonly ? 'yes' : 'no'])
      .concat((opts.acl ?? []).flatMap((rules) => ['--user', ...rules])),
    ready: ([port]) => redisPong(port),
  });
  return { ...launch.handle, url: `redis://127.0.0.1:${launch.port}`, dir: launch.dir };
}
