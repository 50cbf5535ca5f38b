import { resolveBinary } from './binary';
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
