import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { getFreePort, REPO_ROOT, startTestInfra, waitFor } from '@canopy/testing';

jest.setTimeout(120_000);

/**
 * `npm start` as a user runs it (scripts/start-stack.mjs, its own nats-server and redis-server
 * with per-service users, every service, the examples registered): the key line it prints lets
 * a client in, nothing else does, and Ctrl-C stops it all.
 */
describe('npm start', () => {
  it('prints CANOPY_API_KEY, serves the examples to that key only, runs a tick, and stops on SIGINT', async () => {
    const ports = { GATEWAY_PORT: await getFreePort(), RUNNER_PORT: await getFreePort(), BLACKBOARD_PORT: await getFreePort(), HISTORY_PORT: await getFreePort() };
    const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    // Its own brokers, as on a fresh machine; no key given, so it makes (or reuses) the local one.
    for (const name of ['NATS_URL', 'REDIS_URL', 'CANOPY_ADMIN_KEY', 'CANOPY_AUTH', 'HOST']) delete env[name];
    const child = spawn(process.execPath, ['scripts/start-stack.mjs'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const key = await waitFor('the key line', () => /^CANOPY_API_KEY=(cnpy_\S+)$/m.exec(out)?.[1], 90_000);
      expect(out).toMatch(new RegExp(`^Studio: http://127\\.0\\.0\\.1:${ports.GATEWAY_PORT}/studio#key=${key}$`, 'm'));
      const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
      const auth = { authorization: `Bearer ${key}` };
      expect((await fetch(`${gateway}/trees`)).status).toBe(401);
      // Studio is there with no extra step (npm start builds it when missing or stale).
      const studio = await fetch(`${gateway}/studio`);
      expect(studio.status).toBe(200);
      expect(await studio.text()).toContain('/studio/assets/');
      const trees = (await (await fetch(`${gateway}/trees`, { headers: auth })).json()) as { name: string }[];
      expect(trees.map((t) => t.name)).toEqual(expect.arrayContaining(['robot-patrol', 'research-agent', 'team-players']));
      const created = await fetch(`${gateway}/executions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ tree: 'robot-patrol', blackboard: { battery: 30 } }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const tick = await fetch(`${gateway}/executions/${id}/tick`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ count: 3 }),
      });
      expect(await tick.json()).toMatchObject({ tick: 3 });
    } finally {
      child.kill('SIGINT');
      await exited;
    }
    expect(out).not.toMatch(/is not defined|TypeError|ReferenceError/);
    // Services stop before the brokers: the runner hands its shards over and every service drains
    // NATS and quits Redis while both are still there.
    expect(out).toMatch(/"service":"tick-runner".*"msg":"runner stopped"/);
    expect(out).not.toMatch(/NATS drain failed|NATS drain did not finish|Redis QUIT did not finish|NATS disconnected|Redis connection lost/);
    // Everything it started is gone: the gateway's port no longer answers.
    await expect(fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/healthz`)).rejects.toThrow();
    // Not a terminal (a pipe, as here): the services' JSON lines as they are.
    expect(out.split('\n').filter((l) => l.startsWith('{"level":')).length).toBeGreaterThan(10);
  });

  it('in pretty mode: a quiet start with service prefixes and one ready line; a restart registers no example again', async () => {
    // Brokers that outlive both starts (NATS_URL/REDIS_URL): what a restart of `npm start` sees.
    const infra = await startTestInfra();
    const run = async () => {
      const ports = { GATEWAY_PORT: await getFreePort(), RUNNER_PORT: await getFreePort(), BLACKBOARD_PORT: await getFreePort(), HISTORY_PORT: await getFreePort() };
      const env: NodeJS.ProcessEnv = { ...process.env, ...infra.env, LOG_FORMAT: 'pretty', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
      for (const name of ['CANOPY_ADMIN_KEY', 'CANOPY_AUTH', 'HOST']) delete env[name];
      const child = spawn(process.execPath, ['scripts/start-stack.mjs'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const state = { out: '', gateway: `http://127.0.0.1:${ports.GATEWAY_PORT}`, key: '' };
      child.stdout.on('data', (chunk: Buffer) => (state.out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (state.out += chunk.toString()));
      const exited = once(child, 'exit');
      state.key = await waitFor('the key line', () => /^CANOPY_API_KEY=(cnpy_\S+)$/m.exec(state.out)?.[1], 90_000);
      const stop = async () => {
        child.kill('SIGINT');
        await exited;
      };
      return { ...state, get out() { return state.out; }, stop };
    };
    const versionsOf = async (gateway: string, key: string) => {
      const trees = (await (await fetch(`${gateway}/trees`, { headers: { authorization: `Bearer ${key}` } })).json()) as { name: string; version: number }[];
      return Object.fromEntries(trees.map((t) => [t.name, t.version]));
    };
    try {
      const first = await run();
      const before = await versionsOf(first.gateway, first.key);
      await first.stop();
      expect(Object.keys(before)).toEqual(expect.arrayContaining(['robot-patrol', 'research-agent', 'team-players']));

      const second = await run();
      try {
        const lines = second.out.trimEnd().split('\n');
        // No JSON lines; a handful of the script's own, the ready line with the URL, /docs and /studio.
        expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
        expect(lines.length).toBeLessThan(12);
        expect(lines.filter((l) => l.includes('ready: '))).toEqual([
          `canopy     │ ready: ${second.gateway}  (OpenAPI: ${second.gateway}/docs, Studio: ${second.gateway}/studio)  — Ctrl-C to stop`,
        ]);
        // Unchanged examples are not registered again.
        expect(second.out).toMatch(/^canopy +│ examples: .*robot-patrol v\d+/m);
        expect(second.out).not.toMatch(/\(new\)/);
        expect(await versionsOf(second.gateway, second.key)).toEqual(before);
        // After the ready line, services' lines show, prefixed with their name.
        await fetch(`${second.gateway}/trees/nope`, { headers: { authorization: `Bearer ${second.key}` } });
        await waitFor('a gateway request line', () => /^gateway +│ \d\d:\d\d:\d\d INFO {2}request completed .*url=\/trees\/nope/m.test(second.out), 10_000);
      } finally {
        await second.stop();
      }
    } finally {
      await infra.dispose();
    }
  });
});
