import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ActionWorker } from '@canopy/sdk';
import {
  type BlackboardChanged,
  type Command,
  DEFAULT_SHARD_COUNT,
  inboxPrefixOf,
  isErrorBody,
  RedisKeys,
  shardOf,
  Subjects,
} from '@canopy/contracts';
import { type Credentials, GatewayApi, type Stack } from '@canopy/testing';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import Redis from 'ioredis';
import { startE2eStack } from './support/e2e-stack';

/**
 * The NATS users and Redis ACL users of libs/contracts (broker-access.ts) on real servers, with
 * the real services running as their own users: what each identity is refused. (That the same
 * permissions suffice for everything the services do is what every other e2e spec shows: the
 * stack runs with them.)
 */
const READER_TREE = `(tree "perm-reader"
  (sequence :id "read"
    (set "seen" (get "global:flag" 0))))
`;
/** Calls the worker's action (RUNNING until the reply is applied, then SUCCESS). */
const CALLER_TREE = `(tree "perm-caller"
  (sequence :id "call"
    (action action-a)))
`;
const WORKER = 'worker-a';
const OWN_ACTION = 'action-a';

describe('broker permissions', () => {
  let stack: Stack;
  let api: GatewayApi;
  const connections: NatsConnection[] = [];
  const redisClients: Redis[] = [];

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1, users: { workers: { [WORKER]: [OWN_ACTION] } } });
    api = new GatewayApi(stack.gateway.url);
    await api.registerTree(READER_TREE);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(connections.map((nc) => nc.close()));
    redisClients.forEach((r) => r.disconnect());
    await stack?.dispose();
  }, 60_000);

  const users = () => {
    const found = stack.infra.users;
    if (!found) throw new Error('the stack runs without broker users');
    return found;
  };

  /** A NATS connection as `who`, with that user's inboxes, as service-kit connects. */
  async function natsAs(who: Credentials): Promise<NatsConnection> {
    const nc = await connect({
      servers: stack.infra.nats.url,
      user: who.user,
      pass: who.password,
      inboxPrefix: inboxPrefixOf(who.user),
    });
    connections.push(nc);
    return nc;
  }

  /** Resolves with the next permission violation the server reports to `nc`. */
  async function nextViolation(nc: NatsConnection): Promise<string> {
    for await (const status of nc.status()) {
      if (status.type === 'error' && /permissions violation/i.test(status.error.message)) {
        return status.error.message;
      }
    }
    throw new Error('connection closed without a permission violation');
  }

  function redisAs(who: Credentials): Redis {
    const client = new Redis(stack.infra.redis.url, {
      username: who.user,
      password: who.password,
      maxRetriesPerRequest: 0,
    });
    redisClients.push(client);
    return client;
  }

  const seen = async (id: string) =>
    (await api.ok(api.get<{ value: unknown }>(`/blackboard/exec:${id}/keys/seen`))).value;

  const forged = (value: unknown): BlackboardChanged => ({
    scope: 'global',
    key: 'flag',
    value,
    version: 1_000_000,
    source: 'rest',
    at: new Date().toISOString(),
  });

  it('refuses a blackboard change forged by the gateway user; the runner never applies it', async () => {
    await api.ok(api.put('/blackboard/global/keys/flag', { value: 1 }));
    const exec = await api.createExecution({ tree: 'perm-reader' });
    await api.tick(exec.id, 1);
    expect(await seen(exec.id)).toBe(1);

    // What reaches subscribers of the subject (the tests' unrestricted client listens too).
    const tap: NatsConnection = await connect({ servers: stack.infra.nats.url });
    connections.push(tap);
    const delivered: unknown[] = [];
    tap.subscribe(Subjects.bbChanged('global'), {
      callback: (_error, msg) => {
        delivered.push((msg.json() as BlackboardChanged).value);
      },
    });
    await tap.flush();

    const gateway = await natsAs(users().nats.gateway);
    const violation = nextViolation(gateway);
    gateway.publish(Subjects.bbChanged('global'), JSON.stringify(forged(666)));
    // The server answers the refusal after dropping the message: nothing was delivered to anyone.
    expect(await violation).toMatch(/Publish to "canopy\.bb\.global\.changed"/);

    await api.tick(exec.id, 1);
    expect(await seen(exec.id)).toBe(1);

    // The control: the same change from a user allowed to announce changes does reach the runner's
    // cache (which is why the refusal above matters).
    const blackboard = await natsAs(users().nats.blackboard);
    blackboard.publish(Subjects.bbChanged('global'), JSON.stringify(forged(777)));
    await blackboard.flush();
    const deadline = Date.now() + 10_000;
    let value: unknown;
    do {
      await api.tick(exec.id, 1);
      value = await seen(exec.id);
    } while (value !== 777 && Date.now() < deadline);
    expect(value).toBe(777);
    expect(delivered).not.toContain(666);
    expect(delivered).toContain(777);
  });

  it('refuses tick records and events published by the gateway user', async () => {
    const gateway = await natsAs(users().nats.gateway);
    const violation = nextViolation(gateway);
    gateway.publish(Subjects.ticks('someone'), '{}');
    expect(await violation).toMatch(/Publish to "canopy\.ticks\.someone"/);
  });

  it('lets only runners send load and unload (peer commands)', async () => {
    const exec = await api.createExecution({ tree: 'perm-reader' });
    const shard = shardOf(exec.id, DEFAULT_SHARD_COUNT);
    const unload: Command = { type: 'unload' };
    const gateway = await natsAs(users().nats.gateway);

    // On the peer subject the gateway user may not publish at all.
    const violation = nextViolation(gateway);
    await expect(
      gateway.request(Subjects.peerCommand(shard, exec.id), JSON.stringify(unload), {
        timeout: 1000,
      }),
    ).rejects.toThrow();
    expect(await violation).toMatch(/Publish to "canopy\.cmd\.\d+\.[^.]+\.peer"/);

    // On the owner-command subject it may publish, and the owner refuses the peer command.
    const reply = await gateway.request(Subjects.command(shard, exec.id), JSON.stringify(unload), {
      timeout: 5000,
    });
    const body: unknown = reply.json();
    expect(isErrorBody(body) && body.error.code).toBe('VALIDATION_FAILED');

    // The execution is still loaded and answers.
    expect((await api.tick(exec.id, 1)).tick).toBe(1);
  });

  it("serves a tree's action from an ActionWorker logged in as its worker user", async () => {
    const worker = new ActionWorker({
      natsUrl: stack.infra.nats.url,
      user: WORKER,
      password: users().workers[WORKER].password,
    });
    try {
      await worker.register(OWN_ACTION, () => 'SUCCESS');
      await api.registerTree(CALLER_TREE);
      const exec = await api.createExecution({ tree: 'perm-caller' });
      const deadline = Date.now() + 10_000;
      let status = '';
      while (status !== 'SUCCESS' && Date.now() < deadline) {
        status = (await api.tick(exec.id, 1)).status;
      }
      expect(status).toBe('SUCCESS');
    } finally {
      await worker.close();
    }
  });

  it('lets an action worker serve its own actions only', async () => {
    const worker = await natsAs(users().workers[WORKER]);
    const own = worker.subscribe(Subjects.action(OWN_ACTION), {
      callback: (_error, msg) => {
        msg.respond('"ok"');
      },
    });
    await worker.flush();
    const caller = await natsAs(users().nats['tick-runner']);
    expect(
      (await caller.request(Subjects.action(OWN_ACTION), '{}', { timeout: 5000 })).string(),
    ).toBe('"ok"');
    own.unsubscribe();

    const violation = nextViolation(worker);
    worker.subscribe(Subjects.action('action-b'));
    expect(await violation).toMatch(/Subscription to "canopy\.action\.action-b"/);

    const forgedChange = nextViolation(worker);
    worker.publish(Subjects.bbChanged('global'), JSON.stringify(forged(1)));
    expect(await forgedChange).toMatch(/Publish to "canopy\.bb\.global\.changed"/);
  });

  it("refuses a service's Redis user another service's keys (NOPERM)", async () => {
    const { redis } = users();
    const history = redisAs(redis.history);
    const blackboard = redisAs(redis.blackboard);
    const runner = redisAs(redis['tick-runner']);

    // Each may use its own keys.
    await expect(history.zcard(RedisKeys.historyIndex)).resolves.toEqual(expect.any(Number));
    await expect(blackboard.hget(RedisKeys.scopeValues('global'), 'flag')).resolves.not.toBeNull();

    await expect(history.hget(RedisKeys.scopeValues('global'), 'flag')).rejects.toThrow(/NOPERM/);
    await expect(blackboard.get(RedisKeys.execMeta('x'))).rejects.toThrow(/NOPERM/);
    await expect(blackboard.hset(RedisKeys.lease(0), 'owner', 'me')).rejects.toThrow(/NOPERM/);
    await expect(runner.zcard(RedisKeys.historyIndex)).rejects.toThrow(/NOPERM/);
    // Nor administration.
    await expect(runner.flushall()).rejects.toThrow(/NOPERM/);
    await expect(runner.keys('*')).rejects.toThrow(/NOPERM/);
  });

  it('refuses a wrong password', async () => {
    // (The tests' server maps clients without credentials to the tests' administrator,
    // no_auth_user; npm start and deploy/ have no such user.)
    await expect(
      connect({ servers: stack.infra.nats.url, user: 'gateway', pass: 'wrong', reconnect: false }),
    ).rejects.toThrow(/Authorization/i);
  });

  it('services listen on loopback by default (HOST unset)', async () => {
    expect(stack.gateway.log()).toContain(`"url":"http://127.0.0.1:${stack.gateway.spec.port}"`);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // no other interface on this machine: the log line above says it all
    const reached = await new Promise<boolean>((done) => {
      const socket = createConnection({ host: external.address, port: stack.gateway.spec.port });
      socket.once('connect', () => (socket.destroy(), done(true)));
      socket.once('error', () => done(false));
    });
    expect(reached).toBe(false);
  });
});
