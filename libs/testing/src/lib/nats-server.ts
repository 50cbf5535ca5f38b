import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER, resolveBinary } from './binary';
import { containerImages, launchContainer } from './containers';
import { httpOk } from './probes';
import { handleFor, launchServer, type ServerHandle } from './start-server';

export interface NatsServerOptions {
  /** Path to nats-server; defaults to $NATS_SERVER_BIN, then PATH and /usr/sbin. */
  binary?: string;
  /** Deadline for the server to report healthy. Default 10 s. */
  startTimeoutMs?: number;
  /**
   * A configuration file's text (e.g. `authorization { users = [...] }` from
   * `natsAuthorizationOf`), passed with `-c`; the flags still set ports and JetStream.
   */
  config?: string;
  /** Variables for the server's environment, e.g. passwords a config refers to as `$NAME`. */
  env?: Record<string, string>;
}

export interface NatsHandle extends ServerHandle {
  /** JetStream store dir (`-sd`); survives `stop()`/`restart()`. */
  readonly dataDir: string;
}

/** Spawns `nats-server -js` on a free loopback port and resolves once /healthz reports JetStream up. */
export async function startNats(opts: NatsServerOptions = {}): Promise<NatsHandle> {
  const binary = await resolveBinary(
    { name: 'nats-server', envVar: 'NATS_SERVER_BIN', aptPackage: 'nats-server' },
    opts.binary,
  );
  if (binary === CONTAINER) return startNatsContainer(opts);
  // The monitoring port serves /healthz, which answers 200 only once JetStream is ready.
  const launch = await launchServer('nats-server', 2, ([port, monitorPort], dir) => ({
    label: 'nats-server',
    binary,
    args: [
      ...(opts.config === undefined ? [] : ['-c', writeConfig(dir, opts.config)]),
      ...['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', dir],
    ],
    env: opts.env,
    isReady: () => httpOk(monitorPort, '/healthz'),
    startTimeoutMs: opts.startTimeoutMs ?? 10_000,
  }));
  return handleFor(`nats://127.0.0.1:${launch.port}`, launch, { dataDir: launch.dir });
}

function writeConfig(dir: string, text: string): string {
  const file = join(dir, 'nats.conf');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** The same server in a container (no nats-server here, or CANOPY_TEST_INFRA=containers). */
async function startNatsContainer(opts: NatsServerOptions): Promise<NatsHandle> {
  const launch = await launchContainer({
    label: 'nats-server',
    image: containerImages().nats,
    ports: [4222, 8222],
    dataPath: '/data',
    files: opts.config === undefined ? {} : { 'nats.conf': opts.config },
    command: [
      ...(opts.config === undefined ? [] : ['-c', '/data/nats.conf']),
      ...['-js', '-p', '4222', '-m', '8222', '-sd', '/data/jetstream'],
    ],
    env: opts.env,
    ready: ([, monitorPort]) => httpOk(monitorPort, '/healthz'),
  });
  return { ...launch.handle, url: `nats://127.0.0.1:${launch.port}`, dataDir: launch.dir };
}
