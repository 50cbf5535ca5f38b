import type { Msg } from '@nats-io/nats-core';
import {
  Queues,
  RedisKeys,
  Subjects,
  type ActionCancel,
  type ActionReply,
  type ActionRequest,
  type Execution,
} from '@canopy/contracts';
import {
  command,
  createExecution,
  getExecution,
  readTicks,
  useRunners,
  waitFor,
  type Client,
} from './harness';

jest.setTimeout(30_000);

describe('tick-runner: remote actions served by action workers over NATS', () => {
  let worker: Client;
  const requests = new Map<string, Msg[]>();

  /** A plain NATS worker: records each request and answers later (or never). */
  const serve = (action: string) =>
    worker.nc.subscribe(Subjects.action(action), {
      queue: Queues.action(action),
      callback: (_error, msg) => {
        requests.set(action, [...(requests.get(action) ?? []), msg]);
      },
    });
  const reply = (msg: Msg, body: ActionReply) => msg.respond(JSON.stringify(body));

  const fx = useRunners({
    runners: [{ runnerId: 'runner-actions', actionTimeoutMs: 5000 }],
    trees: [
      '(tree "greeter" (sequence (action greet :who "bob" :n (+ 1 2)) (set "greeted" true)))',
      '(tree "slow" (action slowpoke :timeout-ms 100))',
      '(tree "forever" (action hang))',
      '(tree "nobody" (action nobody-serves-this))',
      '(tree "lookup" (sequence (action lookup :q "door" :into "found/where") (set "done" true)))',
    ],
  });

  beforeAll(async () => {
    worker = await fx.client();
    for (const action of ['greet', 'slowpoke', 'hang', 'lookup']) serve(action);
    await worker.nc.flush();
  });

  /** The errors of an execution's tick records, in order. */
  const errorsOf = async (id: string) =>
    (await readTicks(fx.gateway.nc, id)).flatMap((t) => t.data.errors.map(({ code, message }) => ({ code, message })));

  const until = (id: string, what: string, test: (e: Execution) => boolean) =>
    waitFor(what, async () => {
      const e = await getExecution(fx.gateway, id);
      return test(e) ? e : undefined;
    });

  it('invokes a remote action with its evaluated arguments and trace context; the reply settles the node and wakes an event execution', async () => {
    await createExecution(fx.gateway, {
      tree: 'greeter',
      id: 'ra-1',
      mode: 'event',
      intervalMs: 60_000,
    });
    await command(fx.gateway, 'ra-1', { type: 'trigger' });
    const [msg] = await waitFor('the worker got the request', () => requests.get('greet'));
    const req = msg.json<ActionRequest>();
    expect(req).toMatchObject({ execId: 'ra-1', action: 'greet', args: { who: 'bob', n: 3 } });
    expect(req.invocationId).toEqual(expect.any(String));
    expect(req.nodeId).toEqual(expect.any(String));
    // Default timeout from ACTION_TIMEOUT_MS.
    expect(req.deadline - Date.now()).toBeGreaterThan(3000);
    expect(req.deadline - Date.now()).toBeLessThanOrEqual(5000);
    expect(msg.headers?.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect((await getExecution(fx.gateway, 'ra-1')).status).toBe('RUNNING');

    reply(msg, { status: 'SUCCESS' });
    const done = await until('ra-1', 'ra-1 succeeded', (e) => e.status === 'SUCCESS');
    expect(done.tick).toBe(2);
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues('exec:ra-1'), 'greeted')).toBe('true');
  });

  it('a FAILURE reply fails the node', async () => {
    requests.delete('greet');
    await createExecution(fx.gateway, {
      tree: 'greeter',
      id: 'ra-2',
      mode: 'event',
      intervalMs: 60_000,
    });
    await command(fx.gateway, 'ra-2', { type: 'trigger' });
    const [msg] = await waitFor('request', () => requests.get('greet'));
    reply(msg, { status: 'FAILURE', error: 'not today' });
    await until('ra-2', 'ra-2 failed', (e) => e.tick === 2 && e.status === 'FAILURE');
    // The worker's reason is in the record, as a local action's would be.
    expect(await errorsOf('ra-2')).toEqual([{ code: 'ACTION_FAILED', message: "action 'greet': worker failed: not today" }]);
  });

  it('a FAILURE reply without an error is the action deciding to fail: no error recorded', async () => {
    requests.delete('greet');
    await createExecution(fx.gateway, { tree: 'greeter', id: 'ra-2b', mode: 'event', intervalMs: 60_000 });
    await command(fx.gateway, 'ra-2b', { type: 'trigger' });
    const [msg] = await waitFor('request', () => requests.get('greet'));
    reply(msg, { status: 'FAILURE' });
    await until('ra-2b', 'ra-2b failed', (e) => e.tick === 2 && e.status === 'FAILURE');
    expect(await errorsOf('ra-2b')).toEqual([]);
  });

  it("a reply's output goes to the node's :into key in the tick that sees it", async () => {
    await createExecution(fx.gateway, { tree: 'lookup', id: 'ra-6', mode: 'event', intervalMs: 60_000 });
    await command(fx.gateway, 'ra-6', { type: 'trigger' });
    const [msg] = await waitFor('request', () => requests.get('lookup'));
    // :into is the node's own keyword, not an argument the worker gets.
    expect(msg.json<ActionRequest>().args).toEqual({ q: 'door' });
    reply(msg, { status: 'SUCCESS', output: { room: 'hall', score: 0.9 } });
    await until('ra-6', 'ra-6 succeeded', (e) => e.status === 'SUCCESS');
    const stored = await fx.runner.redis.hget(RedisKeys.scopeValues('exec:ra-6'), 'found');
    expect(JSON.parse(stored as string)).toEqual({ where: { room: 'hall', score: 0.9 } });
    const ticks = (await readTicks(fx.gateway.nc, 'ra-6')).map((t) => t.data);
    expect(ticks.map((t) => t.tick)).toEqual([1, 2]);
    expect(ticks[0].writes).toEqual([]);
    expect(ticks[1].writes.map((w) => w.key)).toEqual(['found', 'done']);
  });

  it('fails the node when no reply comes within :timeout-ms', async () => {
    await createExecution(fx.gateway, {
      tree: 'slow',
      id: 'ra-3',
      mode: 'event',
      intervalMs: 60_000,
    });
    await command(fx.gateway, 'ra-3', { type: 'trigger' });
    const [msg] = await waitFor('request', () => requests.get('slowpoke'));
    const req = msg.json<ActionRequest>();
    expect(req.args).toEqual({});
    expect(req.deadline - Date.now()).toBeLessThanOrEqual(100);
    await until('ra-3', 'ra-3 timed out', (e) => e.tick === 2 && e.status === 'FAILURE');
    expect(await errorsOf('ra-3')).toEqual([
      { code: 'ACTION_TIMEOUT', message: "action 'slowpoke': no reply from its worker within 100 ms" },
    ]);
  });

  it('fails at once when no worker serves the action', async () => {
    await createExecution(fx.gateway, {
      tree: 'nobody',
      id: 'ra-4',
      mode: 'event',
      intervalMs: 60_000,
    });
    await command(fx.gateway, 'ra-4', { type: 'trigger' });
    await until('ra-4', 'ra-4 failed', (e) => e.tick === 2 && e.status === 'FAILURE');
    expect(await errorsOf('ra-4')).toEqual([
      { code: 'ACTION_UNAVAILABLE', message: "action 'nobody-serves-this': no action worker serves it" },
    ]);
  });

  it('broadcasts a cancel for the invocation when the node is halted', async () => {
    const cancels: ActionCancel[] = [];
    worker.nc.subscribe(Subjects.actionCancel('hang'), {
      callback: (_e, m) => void cancels.push(m.json<ActionCancel>()),
    });
    await worker.nc.flush();
    await createExecution(fx.gateway, { tree: 'forever', id: 'ra-5' });
    await command(fx.gateway, 'ra-5', { type: 'tick', count: 1 });
    const [msg] = await waitFor('request', () => requests.get('hang'));
    const { invocationId } = msg.json<ActionRequest>();
    await command(fx.gateway, 'ra-5', { type: 'stop' });
    const [cancel] = await waitFor('cancel', () => (cancels.length > 0 ? cancels : undefined));
    expect(cancel).toEqual({ invocationId });
  });
});
