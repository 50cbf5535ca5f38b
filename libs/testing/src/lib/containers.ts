import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { getFreePort } from './free-port';
import { pollUntil } from './poll';
import type { ServerHandle } from './start-server';
import { makeTempDir } from './temp-dir';

/**
 * Images of the container fallback: the local ones scripts/docker-base-images.sh builds from
 * Debian packages by default (this machine cannot pull from Docker Hub); `nats:2-alpine` and
 * `redis:7` work too (same commands), through CANOPY_TEST_NATS_IMAGE / CANOPY_TEST_REDIS_IMAGE.
 */
export const containerImages = () => ({
  nats: process.env.CANOPY_TEST_NATS_IMAGE ?? 'canopy-local/nats:2',
  redis: process.env.CANOPY_TEST_REDIS_IMAGE ?? 'canopy-local/redis:7',
});

/** `CANOPY_TEST_INFRA=containers` runs NATS and Redis in containers even with the binaries here. */
export const containersForced = () => process.env.CANOPY_TEST_INFRA === 'containers';

export interface ContainerSpec {
  label: string;
  image: string;
  /** Container ports; the first is the client port. Each gets a fixed free host port. */
  ports: number[];
  command: string[];
  env?: Record<string, string>;
  /** Files written to the data dir before the start, e.g. a config (mode 0600). */
  files?: Record<string, string>;
  /** Where the host data dir is mounted in the container. */
  dataPath: string;
  /** Readiness, probed from the host on the host ports (after the start and every restart). */
  ready: (hostPorts: number[]) => Promise<boolean>;
}

export interface ContainerLaunch {
  port: number;
  /** The host dir mounted at the spec's `dataPath`: the data survives stop/restart. */
  dir: string;
  handle: Omit<ServerHandle, 'url'>;
}

// As for server processes (server-process.ts): a shell beside each container reads its stdin, a
// pipe from this process, and removes the container when the test process ends for any reason.
// Ryuk, testcontainers' own reaper, is an image from Docker Hub; it is off unless asked for.
const REAPER = 'read _; docker rm -f "$1" >/dev/null 2>&1; rm -rf "$2"';

/**
 * Starts `spec.image` with testcontainers on fixed free host ports (so a restart keeps them) and
 * the host data dir bind-mounted; `stop()` stops the container, `restart()` starts the same one
 * again, `dispose()` removes it and its data.
 */
export async function launchContainer(spec: ContainerSpec): Promise<ContainerLaunch> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const dir = makeTempDir(spec.label);
  for (const [name, text] of Object.entries(spec.files ?? {})) {
    writeFileSync(join(dir, name), text, { mode: 0o644 });
  }
  const hostPorts = await Promise.all(spec.ports.map(() => getFreePort()));
  let container: StartedTestContainer;
  try {
    container = await new GenericContainer(spec.image)
      .withCommand(spec.command)
      .withEnvironment(spec.env ?? {})
      .withBindMounts([{ source: dir, target: spec.dataPath }])
      .withExposedPorts(...spec.ports.map((container, i) => ({ container, host: hostPorts[i] })))
      // Ports listening is not readiness (JetStream, Redis loading its AOF): `ready` decides.
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(60_000)
      .start();
    await pollUntil(spec.label, () => spec.ready(hostPorts), { timeoutMs: 30_000 });
  } catch (error) {
    removeDir(dir);
    throw error;
  }
  const reaper = spawn('/bin/sh', ['-c', REAPER, 'canopy-reaper', container.getId(), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  reaper.unref();
  if (reaper.stdin instanceof Socket) reaper.stdin.unref();
  let stopped = false;
  let disposed: Promise<void> | undefined;
  return {
    port: hostPorts[0],
    dir,
    handle: {
      port: hostPorts[0],
      pid: undefined,
      stop: async () => {
        if (stopped) return;
        await container.stop({ remove: false, timeout: 10_000 });
        stopped = true;
      },
      restart: async () => {
        // `docker restart` stops it first if it runs; the port bindings and the mount stay.
        await container.restart({ timeout: 10_000 });
        stopped = false;
        await pollUntil(spec.label, () => spec.ready(hostPorts), { timeoutMs: 30_000 });
      },
      dispose: () =>
        (disposed ??= (async () => {
          await container.stop({ remove: true, timeout: 5_000 }).catch(() => undefined);
          reaper.stdin?.end();
          removeDir(dir);
        })()),
    },
  };
}

/** The container may have written files as its own user; what cannot be removed is left to tmp. */
function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // EACCES on files a root container wrote, for a non-root test process.
  }
}
