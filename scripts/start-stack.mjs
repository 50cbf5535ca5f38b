#!/usr/bin/env node
// `npm start`: the whole stack on this machine. Starts nats-server (JetStream) and redis-server
// (AOF) with per-service users and data under .data/, or uses NATS_URL / REDIS_URL when given
// (scripts/brokers.mjs); builds Studio when its dist is missing or stale; then the services; registers the examples; prints the gateway URL.
// Ctrl-C stops it all.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrokers } from './brokers.mjs';
import { ensureStudioBuilt } from './build-studio.mjs';
import { announcement, authHeaders, KEY_FILE, localAuth } from './local-auth.mjs';
import { createLogSink, logFormat } from './log-format.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = {
  GATEWAY_PORT: process.env.GATEWAY_PORT ?? '3000',
  RUNNER_PORT: process.env.RUNNER_PORT ?? '3001',
  BLACKBOARD_PORT: process.env.BLACKBOARD_PORT ?? '3002',
  HISTORY_PORT: process.env.HISTORY_PORT ?? '3003',
};
const children = [];
let stopping = false;

// A terminal gets readable lines (per-service prefixes, a quiet start); a pipe or LOG_FORMAT=json
// gets the services' JSON lines as they are (scripts/log-format.mjs).
const sink = createLogSink(logFormat());

function log(message) {
  sink.own(message);
}

function reachable(url, timeoutMs = 500) {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function waitUntil(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (stopping) throw new Error('stopped');
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

/**
 * Spawns a child the stack stops. A broker (`broker: true`) gets a process group of its own, so a
 * terminal's Ctrl-C (sent to the whole foreground group) reaches the services but not NATS and
 * Redis: shutdown() stops those last, once the services have drained into them.
 */
function start(name, command, args, extraEnv = {}, { broker = false } = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: broker,
  });
  sink.attach(name, child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      // A quiet start may have hidden why: its last lines.
      if (sink.format === 'pretty') for (const line of sink.lastLines(name)) log(`${name}: ${line}`);
      log(`${name} exited (${signal ?? code}); stopping the stack`);
      shutdown(1);
    }
  });
  child.on('error', (error) => {
    log(`${name} failed to start: ${error.message}`);
    shutdown(1);
  });
  children.push({ name, child, broker });
  return child;
}

async function ready(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return res.ok;
  } catch {
    return false;
  }
}

// What each example file was last registered as ({file: {sha256, name, version}}): a restart
// registers only the files that changed (or whose tree the gateway no longer has).
const EXAMPLES_FILE = join(root, '.data', 'examples.json');

function readRegistered() {
  try {
    return JSON.parse(readFileSync(EXAMPLES_FILE, 'utf8'));
  } catch {
    return {};
  }
}

async function registerExamples(gateway, auth) {
  const dir = join(root, 'examples');
  const registered = readRegistered();
  const done = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lisp'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    const sha256 = createHash('sha256').update(source).digest('hex');
    const known = registered[file];
    if (known?.sha256 === sha256) {
      const res = await fetch(`${gateway}/trees/${known.name}/versions/${known.version}`, { headers: authHeaders(auth) });
      if (res.ok) {
        done.push(`${known.name} v${known.version}`);
        continue;
      }
    }
    const res = await fetch(`${gateway}/trees`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(auth) },
      body: JSON.stringify({ source, file }),
    });
    const body = await res.json();
    if (!res.ok) {
      log(`could not register ${file}: ${JSON.stringify(body)}`);
      continue;
    }
    registered[file] = { sha256, name: body.name, version: body.version };
    done.push(`${body.name} v${body.version} (new)`);
  }
  if (!existsSync(dirname(EXAMPLES_FILE))) mkdirSync(dirname(EXAMPLES_FILE), { recursive: true });
  writeFileSync(EXAMPLES_FILE, `${JSON.stringify(registered, null, 2)}\n`);
  log(`examples: ${done.join(', ')}`);
}

function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping');
  // Services first (they deliver what they committed, release their leases and drain NATS), the
  // brokers once every service has exited.
  void stopAll(children.filter((c) => !c.broker), 10_000)
    .then(() => stopAll(children.filter((c) => c.broker), 5_000))
    .finally(() => process.exit(code));
}

/** SIGTERM to each child still running; resolves once all exited (SIGKILL to any left after `ms`). */
function stopAll(list, ms) {
  const running = list.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  if (running.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = running.length;
    const timer = setTimeout(() => {
      for (const { child } of running) child.kill('SIGKILL');
      resolve();
    }, ms);
    for (const { child } of running) {
      child.once('exit', () => {
        if (--left > 0) return;
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    }
  });
}

// Brokers are in their own process group: whatever ends this process must not leave them running.
process.on('exit', () => {
  for (const { child, broker } of children) {
    if (broker && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

/**
 * The runner's young generation large enough that a slot's short-lived objects (records, commit
 * arguments, events) die in it instead of being promoted and collected by full GCs: about a
 * fifth less runner CPU per tick on Node 20 (docs/performance.md). docker-compose.yml and
 * deploy/k8s/tick-runner.yaml set the same through NODE_OPTIONS.
 */
const RUNNER_NODE_ARGS = ['--max-semi-space-size=64'];

async function main() {
  // Studio is static files the gateway serves: built here when missing or out of date.
  await ensureStudioBuilt(log);
  const startBroker = (name, command, args, extraEnv) => start(name, command, args, extraEnv, { broker: true });
  const brokers = await startBrokers({ root, log, start: startBroker, reachable, waitUntil });
  const common = { NATS_URL: brokers.natsUrl, REDIS_URL: brokers.redisUrl };
  const services = [
    ['blackboard', env.BLACKBOARD_PORT],
    ['tick-runner', env.RUNNER_PORT],
    ['history', env.HISTORY_PORT],
    ['gateway', env.GATEWAY_PORT],
  ];
  const auth = localAuth(join(root, '.data', KEY_FILE));
  for (const [name, port] of services) {
    const extra = name === 'gateway' ? auth.gatewayEnv : {};
    const nodeArgs = name === 'tick-runner' ? RUNNER_NODE_ARGS : [];
    start(name, process.execPath, [...nodeArgs, '-r', '@swc-node/register', `apps/${name}/src/main.ts`], { ...common, ...brokers.envOf(name), ...extra, PORT: port });
  }
  for (const [name, port] of services) await waitUntil(() => ready(port), name, 60_000);

  const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`;
  await registerExamples(gateway, auth);
  sink.started();
  log(`ready: ${gateway}  (OpenAPI: ${gateway}/docs, Studio: ${gateway}/studio)  — Ctrl-C to stop`);
  // Its own lines, unprefixed: `eval "$(npm start | grep ^CANOPY_API_KEY=)"`-friendly.
  for (const line of announcement(auth, gateway)) process.stdout.write(`${line}\n`);
}

main().catch((error) => {
  log(error.message);
  shutdown(1);
});
