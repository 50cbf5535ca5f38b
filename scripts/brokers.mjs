// NATS and Redis for `npm start` (used by start-stack.mjs). Unless NATS_URL / REDIS_URL are given,
// it runs its own nats-server and redis-server on their default ports, or free ones when those are
// taken, with one user per service and the permissions libs/contracts declares
// (scripts/brokers-config.ts renders them; passwords are generated once and kept under
// .data/brokers/). A URL that is given is used as is, and the services connect to it without
// credentials, as before. CANOPY_ACTION_WORKERS="worker=action1,action2;other=action3" adds
// action worker users.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** `preferred` if nothing listens there, else a free port the OS picks. */
function portFor(preferred) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address();
        server.close(() => resolve(bound));
      });
    });
  return tryListen(preferred).then((port) => port ?? tryListen(0));
}

/**
 * Starts (or picks) both brokers. `start(name, command, args)` spawns a child the stack stops,
 * `reachable(url)` probes a TCP port and `waitUntil(check, what)` polls. Resolves to the URLs
 * and `envOf(service)`, the credentials variables a service gets.
 */
export async function startBrokers({ root, log, start, reachable, waitUntil }) {
  const data = join(root, '.data');
  const given = { nats: process.env.NATS_URL, redis: process.env.REDIS_URL };
  let credentials;
  if (!given.nats || !given.redis) {
    const output = execFileSync(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        join(root, 'scripts/brokers-config.ts'),
        join(data, 'brokers'),
        process.env.CANOPY_ACTION_WORKERS ?? '',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    credentials = JSON.parse(output);
  }

  let natsUrl = given.nats;
  if (natsUrl) log(`using NATS at ${natsUrl} (NATS_URL; services connect without credentials)`);
  else {
    const port = await portFor(4222);
    natsUrl = `nats://127.0.0.1:${port}`;
    mkdirSync(join(data, 'nats'), { recursive: true });
    log(`starting nats-server on ${natsUrl} with per-service users (.data/brokers/nats.conf)`);
    start('nats', 'nats-server', [
      '-c',
      join(data, 'brokers', 'nats.conf'),
      '-js',
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-sd',
      join(data, 'nats'),
    ]);
    await waitUntil(() => reachable(natsUrl), 'nats');
  }

  let redisUrl = given.redis;
  if (redisUrl) log(`using Redis at ${redisUrl} (REDIS_URL; services connect without credentials)`);
  else {
    const port = await portFor(6379);
    redisUrl = `redis://127.0.0.1:${port}`;
    mkdirSync(join(data, 'redis'), { recursive: true });
    log(
      `starting redis-server on ${redisUrl} with per-service ACL users (.data/brokers/users.acl)`,
    );
    start('redis', 'redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--aclfile',
      join(data, 'brokers', 'users.acl'),
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--dir',
      join(data, 'redis'),
    ]);
    await waitUntil(() => reachable(redisUrl), 'redis');
  }
  if (credentials) log('credentials (services, action workers): .data/brokers/credentials.json');

  return {
    natsUrl,
    redisUrl,
    envOf(service) {
      const env = {};
      if (!given.nats)
        Object.assign(env, { NATS_USER: service, NATS_PASSWORD: credentials.nats[service] });
      if (!given.redis && credentials.redis[service]) {
        Object.assign(env, { REDIS_USERNAME: service, REDIS_PASSWORD: credentials.redis[service] });
      }
      return env;
    },
  };
}
