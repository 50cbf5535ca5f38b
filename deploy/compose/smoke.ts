/**
 * `npm run test:compose`: builds the images, starts docker-compose.yml, and checks the stack
 * through its gateway with @canopy/sdk: register, run, tick, history, a live event over the
 * WebSocket, then SIGKILLs the tick-runner container that owns executions and waits for them to
 * tick on the other runner. Not part of `npm test` (CI has no Docker). docs/deployment.md.
 *
 * Images: local ones by default (scripts/docker-base-images.sh, dependencies from this
 * machine's node_modules, no Docker Hub or npm registry needed); CANOPY_COMPOSE_IMAGES=official
 * uses the official base images and `npm ci` in the image. CANOPY_KEEP_COMPOSE=1 leaves the
 * stack running.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CanopyClient, followExecution, type StreamMessage, unwrap } from '@canopy/sdk';
import { getFreePort, makeLogDir, pollUntil, REPO_ROOT } from '@canopy/testing';

const run = promisify(execFile);
const PROJECT = 'canopy-compose-test';
const SERVICES = { gateway: 3000, 'tick-runner': 3001, blackboard: 3002, history: 3003 } as const;
const official = process.env.CANOPY_COMPOSE_IMAGES === 'official';
const started = Date.now();

function log(text: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${text}`);
}

/** Runs a command with its output on this terminal; rejects on a non-zero exit. */
function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/**
 * A docker client that builds with BuildKit (the Dockerfile's unused stages must be skipped):
 * $DOCKER, else `docker` when it has buildx, else Debian's docker.io client, whose BuildKit is
 * built in (DOCKER_BUILDKIT=1).
 */
async function buildkitDocker(): Promise<string> {
  if (process.env.DOCKER) return process.env.DOCKER;
  const works = (cmd: string, args: string[]) =>
    run(cmd, args).then(
      () => true,
      () => false,
    );
  if (await works('docker', ['buildx', 'version'])) return 'docker';
  if (await works('/usr/bin/docker', ['version'])) return '/usr/bin/docker';
  throw new Error(
    'building needs BuildKit: install docker buildx, or set DOCKER to a client that has it',
  );
}

async function imageExists(tag: string): Promise<boolean> {
  return run('docker', ['image', 'inspect', tag]).then(
    () => true,
    () => false,
  );
}

/** The build arguments and compose variables for the images to use; builds what is missing. */
async function images(): Promise<Record<string, string>> {
  if (official) return {};
  await sh('bash', [join(REPO_ROOT, 'scripts/docker-base-images.sh')]);
  // node_modules as installed on this machine (keyed by the lock file), for the host-deps stage.
  const lock = createHash('sha256')
    .update(readFileSync(join(REPO_ROOT, 'package-lock.json')))
    .digest('hex')
    .slice(0, 12);
  const deps = `canopy-local/deps:${lock}`;
  if (!(await imageExists(deps))) {
    log(`building ${deps} from node_modules`);
    const dir = makeLogDir('compose-deps');
    writeFileSync(join(dir.dir, 'Dockerfile'), 'FROM scratch\nCOPY . /app/node_modules\n');
    await sh('docker', [
      'build',
      '-q',
      '-t',
      deps,
      '-f',
      join(dir.dir, 'Dockerfile'),
      'node_modules',
    ]);
    dir.remove();
  }
  return {
    NODE_IMAGE: 'canopy-local/node:20',
    NATS_IMAGE: 'canopy-local/nats:2',
    REDIS_IMAGE: 'canopy-local/redis:7',
    CANOPY_DEPS: 'host-deps',
    HOST_DEPS_IMAGE: deps,
    CANOPY_IDLE_IMAGE: 'canopy-local/debian:bookworm',
  };
}

async function buildServices(vars: Record<string, string>): Promise<void> {
  const docker = await buildkitDocker();
  const args = official
    ? []
    : ['NODE_IMAGE', 'HOST_DEPS_IMAGE']
        .flatMap((k) => ['--build-arg', `${k}=${vars[k]}`])
        .concat(['--build-arg', 'DEPS=host-deps']);
  for (const [service, port] of Object.entries(SERVICES)) {
    log(`building canopy/${service}:0.1.0`);
    await sh(
      docker,
      [
        'build',
        '-q',
        '-f',
        'deploy/docker/Dockerfile',
        '--build-arg',
        `SERVICE=${service}`,
        '--build-arg',
        `PORT=${port}`,
        ...args,
        '-t',
        `canopy/${service}:0.1.0`,
        '.',
      ],
      { ...process.env, DOCKER_BUILDKIT: '1' },
    );
  }
}

async function main(): Promise<void> {
  // fetch (undici) does not hold the event loop open while its connection waits for an answer:
  // docker-proxy accepts connections before the service in the container listens, and node
  // would exit (code 0) in the middle of waiting. This timer keeps it alive until the end.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await test();
  } finally {
    clearInterval(keepAlive);
  }
}

async function test(): Promise<void> {
  const vars = await images();
  await buildServices(vars);
  const { ensureComposeEnv } = (await import(join(REPO_ROOT, 'scripts/compose-env.mjs'))) as {
    ensureComposeEnv(file: string): Record<string, string>;
  };
  const dir = makeLogDir('compose-smoke');
  const secrets = ensureComposeEnv(join(dir.dir, '.env'));
  const gatewayPort = await getFreePort();
  const env = {
    ...process.env,
    ...vars,
    CANOPY_GATEWAY_PORT: String(gatewayPort),
    CANOPY_NATS_PORT: String(await getFreePort()),
    JAEGER_UI_PORT: String(await getFreePort()),
  };
  const compose = (...args: string[]) =>
    sh(
      'docker-compose',
      [
        '-p',
        PROJECT,
        '--env-file',
        join(dir.dir, '.env'),
        '-f',
        'docker-compose.yml',
        ...(official ? [] : ['-f', 'deploy/compose/no-tracing.yml']),
        ...args,
      ],
      env,
    );
  try {
    // A stack left by an earlier run (CANOPY_KEEP_COMPOSE) has other passwords on its volumes.
    await compose('down', '-v', '--remove-orphans');
    // The brokers first, until healthy: docker-compose 1.x gives up on a dependency whose first
    // health checks failed while the machine was busy, instead of waiting for it.
    log('docker-compose up nats redis');
    await compose('up', '-d', '--no-build', 'nats', 'redis');
    await pollUntil('nats and redis healthy', () => healthy(['nats', 'redis']), {
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    log('docker-compose up (2 tick runners)');
    await compose('up', '-d', '--no-build', '--scale', 'tick-runner=2');
    const canopy = new CanopyClient({
      baseUrl: `http://127.0.0.1:${gatewayPort}`,
      apiKey: secrets.CANOPY_ADMIN_KEY,
    });
    await pollUntil(
      'the gateway (/readyz)',
      async () =>
        (await fetch(`${canopy.baseUrl}/readyz`, { signal: AbortSignal.timeout(3000) })).ok,
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    log('gateway ready');
    await smoke(canopy);
    await failover(canopy);
    log('test:compose passed');
  } finally {
    if (process.env.CANOPY_KEEP_COMPOSE) {
      log(
        `left running: docker-compose -p ${PROJECT} ... down -v; key ${secrets.CANOPY_ADMIN_KEY}`,
      );
    } else {
      await compose('down', '-v', '--remove-orphans').catch((e: unknown) => console.error(e));
      dir.remove();
    }
  }
}

/** Every container of these compose services reports healthy. */
async function healthy(services: string[]): Promise<boolean> {
  for (const service of services) {
    const { stdout } = await run('docker', [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
      '--filter',
      `label=com.docker.compose.service=${service}`,
      '--filter',
      'health=healthy',
    ]);
    if (!stdout.trim()) return false;
  }
  return true;
}

/** Register, run, tick, history, and a live event over the WebSocket. */
async function smoke(canopy: CanopyClient): Promise<void> {
  const tree = await unwrap(
    canopy.rest.POST('/trees', {
      body: { source: '(tree "compose-counter" (sequence (set "n" (+ (get "n" 0) 1)) (running)))' },
    }),
  );
  log(`registered ${tree.name} v${tree.version}`);
  const id = 'compose-smoke';
  await unwrap(canopy.rest.POST('/executions', { body: { tree: tree.name, id } }));
  const live: StreamMessage[] = [];
  const stop = new AbortController();
  const following = followExecution(canopy, {
    execId: id,
    signal: stop.signal,
    onMessage: (m) => {
      live.push(m);
      if (m.type === 'tick_complete' && m.tick === 3) stop.abort();
    },
  });
  await pollUntil('the snapshot', async () => live.some((m) => m.type === 'snapshot'), {
    timeoutMs: 30_000,
  });
  const ticked = await unwrap(
    canopy.rest.POST('/executions/{id}/tick', { params: { path: { id } }, body: { count: 3 } }),
  );
  if (ticked.tick !== 3) throw new Error(`tick: expected 3, got ${JSON.stringify(ticked)}`);
  await following;
  log(
    `live over the WebSocket: ${live.filter((m) => m.type === 'tick_complete').length} tick_complete events`,
  );
  await pollUntil(
    'history of ticks 1-3',
    async () => {
      const h = await unwrap(
        canopy.rest.GET('/executions/{id}/history', { params: { path: { id } } }),
      );
      return h.map((e) => e.tick).join() === '1,2,3';
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  log('history has ticks 1-3');
}

/** SIGKILL the runner that owns executions; they must tick again, owned by the other runner. */
async function failover(canopy: CanopyClient): Promise<void> {
  const ids = Array.from({ length: 8 }, (_, i) => `compose-failover-${i}`);
  for (const id of ids) {
    await unwrap(
      canopy.rest.POST('/executions', {
        body: { tree: 'compose-counter', id, mode: 'interval', intervalMs: 100 },
      }),
    );
  }
  const owners = async () =>
    Promise.all(
      ids.map(async (id) =>
        unwrap(canopy.rest.GET('/executions/{id}', { params: { path: { id } } })),
      ),
    );
  const before = await owners();
  const { stdout } = await run('docker', [
    'ps',
    '-q',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
    '--filter',
    'label=com.docker.compose.service=tick-runner',
  ]);
  const runners = stdout.trim().split('\n').filter(Boolean);
  if (runners.length !== 2)
    throw new Error(`expected 2 tick-runner containers, got ${runners.length}`);
  // A runner's id starts with its host name, which is its container's short id.
  const victim = runners.find((c) => before.some((e) => e.owner?.startsWith(c.slice(0, 12))));
  if (!victim)
    throw new Error(`no runner container owns ${JSON.stringify(before.map((e) => e.owner))}`);
  const moved = before.filter((e) => e.owner?.startsWith(victim.slice(0, 12)));
  log(`killing runner ${victim.slice(0, 12)} (owns ${moved.length} of ${ids.length} executions)`);
  // No restart: the executions must move to the other runner, not wait for this one.
  await run('docker', ['update', '--restart=no', victim]);
  const killedAt = Date.now();
  await run('docker', ['kill', '--signal=KILL', victim]);
  await pollUntil(
    'the killed runner executions ticking on the other runner',
    async () => {
      const now = await owners();
      return moved.every((m) => {
        const e = now.find((x) => x.id === m.id);
        return !!e && !e.owner?.startsWith(victim.slice(0, 12)) && e.tick > m.tick + 5;
      });
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  log(
    `failover: ${moved.length} executions ticking on the other runner ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
