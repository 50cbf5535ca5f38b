import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayApi, getFreePort, startStack, type Stack } from '@canopy/testing';
import { startCli, stopAllClis, tempDir } from './harness';

/**
 * `push`, `tail` and `dev` against a real stack: nats-server, redis-server, blackboard, one
 * tick runner and the gateway as processes. The CLI talks to the gateway only; the test checks
 * what it did through the gateway's REST API.
 */
jest.setTimeout(60_000);

describe('canopy push / tail / dev against a stack', () => {
  let stack: Stack;
  let api: GatewayApi;
  let gateway: string;
  const dir = tempDir();

  beforeAll(async () => {
    // With history: `tail` fills the ticks it missed while reconnecting from it.
    stack = await startStack({ label: 'cli' });
    api = new GatewayApi(stack.gateway.url);
    gateway = stack.gateway.url;
  }, 180_000);

  afterEach(stopAllClis);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  // RUNNING for good after the first tick: the execution goes on until it is stopped.
  const counter = (name: string, extra = '') =>
    `(tree "${name}"\n  (sequence :name "main"\n    (set "n" (+ (get "n" 0) 1))${extra}\n    (running)))\n`;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  describe('push', () => {
    it('registers each file and prints its name and version', async () => {
      const file = write('pushed.lisp', counter('cli-pushed'));
      const first = startCli(['push', file, '--gateway', gateway]);
      expect(await first.exit).toBe(0);
      expect(first.out()).toBe(`cli-pushed v1  (${file}: 3 nodes)\n`);
      const again = startCli(['push', file, '--gateway', gateway]);
      expect(await again.exit).toBe(0);
      expect(again.out()).toMatch(/^cli-pushed v2 /);
      expect(await api.ok(api.get('/trees/cli-pushed'))).toMatchObject({
        name: 'cli-pushed',
        version: 2,
      });
    });

    it("prints the gateway's compile errors as file:line:column and exits 2, pushing the other files", async () => {
      const bad = write('bad.lisp', '(tree "cli-bad"\n  (sequence\n    (frobnicate :x 1)))\n');
      const good = write('good.lisp', counter('cli-good'));
      const cli = startCli(['push', bad, good, '--gateway', gateway]);
      expect(await cli.exit).toBe(2);
      expect(cli.err()).toMatch(
        new RegExp(`^${escape(bad)}:3:6: unknown node type 'frobnicate'.*\\n$`),
      );
      expect(cli.out()).toMatch(/^cli-good v1 /);
      expect((await api.get('/trees/cli-bad')).status).toBe(404);
    });

    it('says in one line that the gateway cannot be reached, and exits 1', async () => {
      const url = `http://127.0.0.1:${await getFreePort()}`;
      const cli = startCli(['push', write('x.lisp', counter('cli-x')), '--gateway', url]);
      expect(await cli.exit).toBe(1);
      expect(cli.err()).toBe(
        `canopy: cannot reach the gateway at ${url} (ECONNREFUSED); is the stack running? (npm start; --gateway URL or CANOPY_GATEWAY_URL to use another)\n`,
      );
    });
  });

  describe('tail', () => {
    beforeAll(async () => {
      await api.registerTree(counter('cli-tail'));
    });

    it('prints JSON lines, the snapshot first, and exits 0 when the execution stops', async () => {
      const id = 'tail-json';
      await api.createExecution({ tree: 'cli-tail', id });
      const cli = startCli(['tail', id, '--gateway', gateway, '--format', 'json']);
      const snapshot = JSON.parse(await cli.nextOut(/\n/));
      expect(snapshot).toMatchObject({
        type: 'snapshot',
        execId: id,
        data: { execution: { id, state: 'created', tick: 0 } },
      });
      await api.tick(id, 2);
      await cli.nextOut(
        /"type":"tick_complete"[^\n]*"tick":2|"tick":2[^\n]*"type":"tick_complete"/,
      );
      await api.ok(api.post(`/executions/${id}/stop`));
      expect(await cli.exit).toBe(0);
      const lines = cli
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; tick: number; seq: number });
      expect(lines.at(-1)?.type).toBe('execution_stopped');
      expect(lines.filter((l) => l.type === 'tick_complete').map((l) => l.tick)).toEqual([1, 2]);
      const keys = lines.filter((l) => l.seq >= 0).map((l) => `${l.tick}:${l.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('prints readable lines with tick numbers, node ids and labels, only the events asked for', async () => {
      const id = 'tail-pretty';
      await api.createExecution({ tree: 'cli-tail', id });
      const cli = startCli([
        'tail',
        id,
        '--gateway',
        gateway,
        '--events',
        'node_update,tick_complete',
      ]);
      await cli.nextOut(
        /^execution tail-pretty: tree cli-tail v1, created, manual, tick 0, root IDLE\n/,
      );
      await api.tick(id);
      const tick = await cli.nextOut(/● tick RUNNING[^\n]*\n/);
      expect(tick).toContain('#   1   [0] sequence "main" IDLE → RUNNING\n');
      expect(tick).toContain('#   1   [0.1] running IDLE → RUNNING\n');
      expect(tick).toMatch(/# {3}1 ● tick RUNNING [\d.]+ ms, 3 changes, 1 write\n$/);
      expect(tick).not.toContain('n = 1'); // blackboard_update was not asked for
      expect(await cli.stop()).toBe(0);
    });

    it('reconnects after the gateway restarts and says which ticks it missed', async () => {
      const id = 'tail-reconnect';
      await api.createExecution({ tree: 'cli-tail', id });
      const cli = startCli(['tail', id, '--gateway', gateway, '--format', 'json']);
      await cli.nextOut(/"type":"snapshot"/);
      await api.tick(id);
      await cli.nextOut(/"type":"tick_complete"/);
      try {
        await stack.gateway.stop();
        await cli.nextErr(/connection to the gateway lost \(gateway shutting down\); reconnecting/);
      } finally {
        await stack.gateway.restart();
      }
      // Tick 2 happens while the stream is down (the CLI has not reconnected yet, or just has).
      await api.tick(id);
      await cli.nextErr(/reconnected/);
      await api.tick(id);
      await cli.nextOut(
        /"type":"tick_complete"[^\n]*"tick":3|"tick":3[^\n]*"type":"tick_complete"/,
      );
      expect(await cli.stop()).toBe(0);
      const events = cli
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; tick: number; seq: number });
      const keys = events.filter((e) => e.seq >= 0).map((e) => `${e.tick}:${e.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(events.filter((e) => e.type === 'snapshot')).toHaveLength(2);
      // Each tick once: live, or (tick 2, when it beat the reconnect) from history.
      const ticks = events.filter((e) => e.type === 'tick_complete' || e.type === 'history_tick');
      expect(ticks.map((e) => e.tick)).toEqual([1, 2, 3]);
    }, 120_000);

    it("exits 2 with the gateway's error for an unknown execution", async () => {
      const cli = startCli(['tail', 'no-such-execution', '--gateway', gateway]);
      expect(await cli.exit).toBe(2);
      expect(cli.err()).toMatch(/^canopy: gateway: 404 EXECUTION_NOT_FOUND: /);
    });
  });

  describe('dev', () => {
    it('registers, creates, shows live events; a bad save changes nothing; Ctrl-C stops the execution', async () => {
      const file = write('dev.lisp', counter('cli-dev'));
      const cli = startCli([
        'dev',
        file,
        '--gateway',
        gateway,
        '--id',
        'dev-1',
        '--mode',
        'manual',
      ]);
      await cli.nextOut(/registered cli-dev v1\n/);
      await cli.nextOut(/created execution dev-1 \(manual\)/);
      await cli.nextOut(/execution dev-1: tree cli-dev v1, created/);
      await api.tick('dev-1');
      await cli.nextOut(/# {3}1 \$ n = 1/);
      await cli.nextOut(/# {3}1 ● tick RUNNING/);

      writeFileSync(file, '(tree "cli-dev"\n  (sequense\n    (success)))\n');
      const bad = await cli.nextErr(/not reloaded; dev-1 runs on unchanged\n/);
      expect(bad).toContain(
        `${file}:2:4: unknown node type 'sequense' (did you mean 'sequence'?)\n`,
      );
      expect(await api.execution('dev-1')).toMatchObject({ version: 1 });
      expect((await api.get('/trees/cli-dev/versions/2')).status).toBe(404);

      expect(await cli.stop()).toBe(0);
      expect(cli.out()).toContain('stopped execution dev-1\n');
      expect(await api.execution('dev-1')).toMatchObject({ state: 'stopped' });
    });

    it('attaches to an existing execution with --id and leaves it running at Ctrl-C', async () => {
      await api.registerTree(counter('cli-attach'));
      await api.createExecution({ tree: 'cli-attach', id: 'attach-1' });
      const file = write('attach.lisp', counter('cli-attach'));
      const cli = startCli(['dev', file, '--gateway', gateway, '--id', 'attach-1']);
      await cli.nextOut(/attached to attach-1: tree cli-attach v1, created/);
      await api.tick('attach-1');
      await cli.nextOut(/# {3}1 ● tick RUNNING/);
      expect(await cli.stop()).toBe(0);
      expect(await api.execution('attach-1')).toMatchObject({ state: 'running', tick: 1 });
      await api.ok(api.post('/executions/attach-1/stop'));
    });

    it('exits 2 with the positions when the file does not compile at the start, registering nothing', async () => {
      const file = write('dev-bad.lisp', '(tree "cli-dev-bad"\n  (sequense))\n');
      const cli = startCli(['dev', file, '--gateway', gateway]);
      expect(await cli.exit).toBe(2);
      expect(cli.err()).toBe(
        `${file}:2:4: unknown node type 'sequense' (did you mean 'sequence'?)\n`,
      );
      expect((await api.get('/trees/cli-dev-bad')).status).toBe(404);
    });

    it('hot-reloads the execution at each save (PUT /executions/:id/tree), and a save the gateway rejects changes nothing', async () => {
      const file = write('reload.lisp', counter('cli-reload'));
      const cli = startCli([
        'dev',
        file,
        '--gateway',
        gateway,
        '--id',
        'reload-1',
        '--mode',
        'manual',
        '--policy',
        'swap-now',
      ]);
      await cli.nextOut(/created execution reload-1/);
      // The live stream is attached once its snapshot is shown: ticks before it would not be.
      await cli.nextOut(/execution reload-1: tree cli-reload v1, created/);
      await api.tick('reload-1');
      await cli.nextOut(/# {3}1 ● tick RUNNING/);

      writeFileSync(file, counter('cli-reload', '\n    (set "m" 7)'));
      // Ids are positions: the new set takes 0.1 (a running before: removed and added) and the
      // running moves to 0.2 (added); the sequence and the first set are kept.
      await cli.nextOut(/↻ reloaded v1 → v2 \(swap-now\) \+2 added, -1 removed, 2 kept/);
      expect(await api.execution('reload-1')).toMatchObject({ version: 2, tick: 1 });
      await api.tick('reload-1');
      await cli.nextOut(/# {3}2 \$ m = 7/);

      // Only the gateway knows there is no tree "nowhere": its 400 COMPILE_FAILED, at the name (2:12).
      writeFileSync(file, '(tree "cli-reload"\n  (subtree "nowhere"))\n');
      const bad = await cli.nextErr(/not reloaded; reload-1 runs on unchanged\n/);
      expect(bad).toMatch(new RegExp(`${escape(file)}:2:12: unknown subtree 'nowhere'`));
      expect(await api.execution('reload-1')).toMatchObject({ version: 2 });
      expect(await cli.stop()).toBe(0);
    });
  });

  describe('keys', () => {
    it('creates, lists and revokes keys; a revoked key is refused at once', async () => {
      const create = startCli([
        'keys',
        'create',
        '--role',
        'operator',
        '--teams',
        'red,blue',
        '--name',
        'ci',
        '--gateway',
        gateway,
      ]);
      expect(await create.exit).toBe(0);
      const key = /^CANOPY_API_KEY=(cnpy_\S+)\n$/.exec(create.out())?.[1];
      expect(key).toBeDefined();
      const id = /^key ([a-f0-9]{16}): operator teams=red,blue "ci"/.exec(create.err())?.[1];
      expect(id).toBeDefined();
      // The new key works against the gateway, with its role.
      expect((await api.as(key!).get('/executions')).status).toBe(200);
      expect((await api.as(key!).get('/keys')).status).toBe(403);

      const list = startCli(['keys', 'list', '--format', 'json', '--gateway', gateway]);
      expect(await list.exit).toBe(0);
      expect(JSON.parse(list.out())).toContainEqual(
        expect.objectContaining({ id, role: 'operator', teams: ['red', 'blue'], name: 'ci' }),
      );
      expect(list.out()).not.toContain(key);

      const revoke = startCli(['keys', 'revoke', id!, '--gateway', gateway]);
      expect(await revoke.exit).toBe(0);
      expect(revoke.out()).toBe(`revoked ${id}\n`);
      expect((await api.as(key!).get('/executions')).status).toBe(401);
    });

    it('refuses a bad role, and says what to do without a key', async () => {
      const bad = startCli(['keys', 'create', '--role', 'root', '--gateway', gateway]);
      expect(await bad.exit).toBe(2);
      expect(bad.err()).toContain('--role must be one of viewer, operator, admin');
      const saved = process.env.CANOPY_API_KEY;
      delete process.env.CANOPY_API_KEY;
      try {
        const anonymous = startCli([
          'push',
          write('anon.lisp', counter('cli-anon')),
          '--gateway',
          gateway,
        ]);
        expect(await anonymous.exit).toBe(2);
        expect(anonymous.err()).toContain('401 UNAUTHENTICATED');
        expect(anonymous.err()).toContain('set CANOPY_API_KEY');
      } finally {
        process.env.CANOPY_API_KEY = saved;
      }
    });
  });
});
