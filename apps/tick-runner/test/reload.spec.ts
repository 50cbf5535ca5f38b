import {
  RedisKeys,
  rendezvousOwner,
  shardOf,
  type Breakpoint,
  type EventEnvelope,
  type Execution,
  type ReloadPolicy,
  type ReloadReply,
  type ReloadTreeRequest,
  type TickResponse,
} from '@canopy/contracts';
import type { ActionOutcome } from '@canopy/engine';
import { metaFromHash } from '../src/executions/execution-meta';
import {
  command,
  createExecution,
  deferred,
  errorOf,
  getExecution,
  readEvents,
  readTicks,
  registerTree,
  SHARDS,
  useRunners,
  waitFor,
  waitForShardsSplit,
  type Client,
} from './harness';

jest.setTimeout(60_000);

/** A sequence whose action waits for the test; v2 adds a step after it. */
const WORK_V1 = '(tree "work" (sequence :id "s" (action later :id "a") (set "done" true :id "d")))';
const WORK_V2 =
  '(tree "work" (sequence :id "s" (action later :id "a") (set "done" true :id "d") (set "v2" true :id "e")))';
/** Runs 4 ticks, then succeeds; v2 counts into another key. */
const LONG_V1 = '(tree "long" (repeat :times 4 (set "n" (+ (get "n" 0) 1))))';
const LONG_V2 = '(tree "long" (repeat :times 4 (set "m" (+ (get "m" 0) 1))))';
/** Never finishes: an auto run of it goes on until stopped; v2 counts into another key. */
const SPIN_V1 = '(tree "spin" (repeat :times -1 (set "n" (+ (get "n" 0) 1))))';
const SPIN_V2 = '(tree "spin" (repeat :times -1 (set "m" (+ (get "m" 0) 1))))';

function reload(
  client: Client,
  id: string,
  body: Partial<ReloadTreeRequest> & { policy?: ReloadPolicy },
): Promise<ReloadReply> {
  const req = {
    policy: 'let-finish-then-swap',
    preserveBlackboard: true,
    ...body,
  } as ReloadTreeRequest;
  return command<ReloadReply>(client, id, { type: 'reload', reload: req });
}

const tick = (client: Client, id: string, count = 1) =>
  command<TickResponse>(client, id, { type: 'tick', count });

async function reloadEvents(client: Client, id: string) {
  return (await readEvents(client.nc, id))
    .map((e) => e.data)
    .filter((e): e is EventEnvelope<'tree_reloaded'> => e.type === 'tree_reloaded');
}

/** Tick numbers in the stream are 1..n, each once, in order. */
async function expectConsecutiveTicks(client: Client, id: string): Promise<number[]> {
  const ticks = (await readTicks(client.nc, id)).map((t) => t.data.tick);
  expect(ticks).toEqual(Array.from({ length: ticks.length }, (_, i) => i + 1));
  return ticks;
}

describe('tick-runner: hot reload', () => {
  let later = deferred<ActionOutcome>();
  const calls: string[] = [];
  const fx = useRunners({
    runners: [
      {
        runnerId: 'runner-reload',
        localActions: {
          later: (_args, ctx) => {
            calls.push(ctx.invocationId);
            return later.promise;
          },
        },
      },
    ],
    trees: [WORK_V1, LONG_V1, SPIN_V1, '(tree "other" (success))'],
  });
  beforeEach(() => {
    later = deferred<ActionOutcome>();
    calls.length = 0;
  });

  it('swap-now keeps the action in flight, applies its result once, and keeps id, ticks and history', async () => {
    await createExecution(fx.gateway, { tree: 'work', id: 'sn-1' });
    expect(await tick(fx.gateway, 'sn-1')).toMatchObject({ tick: 1, status: 'RUNNING' });
    const reply = await reload(fx.gateway, 'sn-1', { source: WORK_V2, policy: 'swap-now' });
    expect(reply).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      policy: 'swap-now',
      pending: false,
      added: ['e'],
      removed: [],
      kept: ['s', 'a', 'd'],
      droppedBreakpoints: [],
      execution: { id: 'sn-1', version: 2, tick: 1, status: 'RUNNING' },
    });
    later.resolve('SUCCESS');
    expect(await tick(fx.gateway, 'sn-1')).toMatchObject({ tick: 2, status: 'SUCCESS' });
    expect(calls).toEqual(['sn-1:a:1']);
    const ticks = await expectConsecutiveTicks(fx.gateway, 'sn-1');
    expect(ticks).toEqual([1, 2]);
    const records = await readTicks(fx.gateway.nc, 'sn-1');
    expect(records.map((r) => r.data.version)).toEqual([1, 2]);
    // The new node ran in the tick that saw the action's result.
    expect(records[1].data.writes.map((w) => w.key)).toEqual(['done', 'v2']);
    expect(await reloadEvents(fx.gateway, 'sn-1')).toEqual([
      expect.objectContaining({
        tick: 1,
        data: {
          fromVersion: 1,
          toVersion: 2,
          policy: 'swap-now',
          tick: 1,
          added: ['e'],
          removed: [],
          kept: ['s', 'a', 'd'],
        },
      }),
    ]);
  });

  it('cancel-and-restart halts the old tree and starts the new one from its root', async () => {
    await createExecution(fx.gateway, { tree: 'work', id: 'cr-1', version: 1 });
    await tick(fx.gateway, 'cr-1');
    const reply = await reload(fx.gateway, 'cr-1', { version: 1, policy: 'cancel-and-restart' });
    expect(reply).toMatchObject({
      fromVersion: 1,
      toVersion: 1,
      pending: false,
      execution: { tick: 1, status: 'IDLE' },
    });
    later.resolve('SUCCESS');
    await tick(fx.gateway, 'cr-1');
    // Called again from the root (a new invocation), not answered by the cancelled one.
    expect(calls).toEqual(['cr-1:a:1', 'cr-1:a:2']);
  });

  it('let-finish-then-swap stores a pending swap, lets the run finish, and swaps at the next tick', async () => {
    await createExecution(fx.gateway, { tree: 'long', id: 'lf-1' });
    await tick(fx.gateway, 'lf-1');
    const reply = await reload(fx.gateway, 'lf-1', { source: LONG_V2 });
    expect(reply).toMatchObject({ policy: 'let-finish-then-swap', pending: true, fromVersion: 1 });
    const stored = metaFromHash(await fx.runner.redis.hgetall(RedisKeys.execMeta('lf-1')));
    expect(stored?.pending).toEqual({
      version: reply.toVersion,
      library: {},
      preserveBlackboard: true,
    });
    expect(stored?.version).toBe(1);
    expect(await tick(fx.gateway, 'lf-1', 3)).toMatchObject({ tick: 4, status: 'SUCCESS' });
    expect(await tick(fx.gateway, 'lf-1')).toMatchObject({ tick: 5, status: 'RUNNING' });
    const records = (await readTicks(fx.gateway.nc, 'lf-1')).map((r) => r.data);
    expect(records.map((r) => r.version)).toEqual([1, 1, 1, 1, reply.toVersion]);
    expect(records[4].writes.map((w) => w.key)).toEqual(['m']);
    const events = await reloadEvents(fx.gateway, 'lf-1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tick: 5,
      data: { tick: 4, fromVersion: 1, toVersion: reply.toVersion },
    });
    expect(
      metaFromHash(await fx.runner.redis.hgetall(RedisKeys.execMeta('lf-1')))?.pending,
    ).toBeUndefined();
  });

  it('a bad source changes nothing: 400 COMPILE_FAILED at file:line:column, no version registered', async () => {
    await createExecution(fx.gateway, { tree: 'long', id: 'bad-1', version: 1 });
    await tick(fx.gateway, 'bad-1');
    const before = await fx.runner.redis.hget(RedisKeys.tree('long'), 'latest');
    const error = await errorOf(
      reload(fx.gateway, 'bad-1', {
        source: '(tree "long"\n  (sequense (success)))',
        file: 'long.lisp',
        policy: 'swap-now',
      }),
    );
    // The position of the unknown node type, as POST /trees reports it.
    expect(error).toMatchObject({ code: 'COMPILE_FAILED', line: 2, column: 4 });
    expect(error.message).toMatch(/^long\.lisp:2:4: unknown node type 'sequense'/);
    expect(await fx.runner.redis.hget(RedisKeys.tree('long'), 'latest')).toBe(before);
    expect(await getExecution(fx.gateway, 'bad-1')).toMatchObject({
      version: 1,
      tick: 1,
      status: 'RUNNING',
    });
    expect(
      await errorOf(reload(fx.gateway, 'bad-1', { source: '(tree "other" (success))' })),
    ).toMatchObject({
      code: 'TREE_MISMATCH',
    });
    expect(await errorOf(reload(fx.gateway, 'bad-1', { version: 99 }))).toMatchObject({
      code: 'TREE_NOT_FOUND',
    });
    expect(await errorOf(reload(fx.gateway, 'nobody', { version: 1 }))).toMatchObject({
      code: 'EXECUTION_NOT_FOUND',
    });
    await command(fx.gateway, 'bad-1', { type: 'stop' });
    expect(await errorOf(reload(fx.gateway, 'bad-1', { version: 1 }))).toMatchObject({
      code: 'EXECUTION_STOPPED',
    });
    expect(await reloadEvents(fx.gateway, 'bad-1')).toEqual([]);
  });

  it('preserveBlackboard false clears the execution scope, never the global one', async () => {
    await createExecution(fx.gateway, { tree: 'long', id: 'bb-1', blackboard: { keep: 1 } });
    await fx.runner.redis.hset(RedisKeys.scopeValues('global'), 'g', '7');
    await tick(fx.gateway, 'bb-1');
    await reload(fx.gateway, 'bb-1', {
      version: 1,
      policy: 'cancel-and-restart',
      preserveBlackboard: false,
    });
    expect(await fx.runner.redis.hgetall(RedisKeys.scopeValues('exec:bb-1'))).toEqual({});
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues('global'), 'g')).toBe('7');
    await tick(fx.gateway, 'bb-1');
    expect(await fx.runner.redis.hgetall(RedisKeys.scopeValues('exec:bb-1'))).toEqual({ n: '1' });
  });

  it('a paused execution: the paused tick is dropped, it stays paused on the new tree, breakpoints on removed nodes go', async () => {
    await createExecution(fx.gateway, { tree: 'work', id: 'pz-1', version: 1 });
    later.resolve('SUCCESS');
    const bp = await command<Breakpoint>(fx.gateway, 'pz-1', {
      type: 'breakpoint.add',
      breakpoint: { nodeId: 'd', when: 'before', mode: 'break', once: false, enabled: true },
    });
    // Tick 1 starts the action (its result applies at tick 2), tick 2 stops before `d`.
    const paused = await tick(fx.gateway, 'pz-1', 2);
    expect(paused.pausedAt).toMatchObject({ nodeId: 'd', tick: 2 });
    const v3 = '(tree "work" (sequence :id "s" (action later :id "a") (set "other" 1 :id "x")))';
    const reply = await reload(fx.gateway, 'pz-1', { source: v3, policy: 'swap-now' });
    expect(reply.droppedBreakpoints).toEqual([bp]);
    expect(reply.execution).toMatchObject({ state: 'paused', tick: 1 });
    const view = await command<{
      paused: boolean;
      pausedAt?: { tick: number };
      breakpoints: Breakpoint[];
    }>(fx.gateway, 'pz-1', { type: 'debug' });
    expect(view).toMatchObject({ paused: true, pausedAt: { tick: 2 }, breakpoints: [] });
    await command<Execution>(fx.gateway, 'pz-1', { type: 'resume' });
    expect(await tick(fx.gateway, 'pz-1')).toMatchObject({ tick: 2, status: 'SUCCESS' });
    const records = (await readTicks(fx.gateway.nc, 'pz-1')).map((r) => r.data);
    expect(records.map((r) => r.tick)).toEqual([1, 2]);
    expect(records[1].writes.map((w) => w.key)).toEqual(['other']);
    expect(calls).toEqual(['pz-1:a:1']);
  });

  it('reloads during an interval run with every policy: tick numbers stay consecutive', async () => {
    await createExecution(fx.gateway, {
      tree: 'long',
      id: 'iv-1',
      mode: 'interval',
      intervalMs: 15,
    });
    const ticked = async (n: number) =>
      waitFor(
        `iv-1 past tick ${n}`,
        async () => (await getExecution(fx.gateway, 'iv-1')).tick > n || undefined,
      );
    let seen = 0;
    for (const policy of [
      'swap-now',
      'cancel-and-restart',
      'let-finish-then-swap',
      'swap-now',
    ] as const) {
      await ticked(seen + 2);
      const source = policy === 'let-finish-then-swap' ? LONG_V1 : LONG_V2;
      const reply = await reload(fx.gateway, 'iv-1', { source, policy });
      seen = reply.execution.tick;
    }
    await ticked(seen + 6);
    await command(fx.gateway, 'iv-1', { type: 'stop' });
    const ticks = await expectConsecutiveTicks(fx.gateway, 'iv-1');
    expect(ticks.length).toBeGreaterThan(seen);
    expect((await reloadEvents(fx.gateway, 'iv-1')).map((e) => e.data)).toHaveLength(4);
  });

  it.each(['swap-now', 'cancel-and-restart', 'let-finish-then-swap'] as const)(
    'an event execution reloaded with %s runs the new tree from the tick its policy says',
    async (policy) => {
      const id = `ev-${policy}`;
      await createExecution(fx.gateway, { tree: 'long', id, version: 1, mode: 'event' });
      const ticked = async (n: number) => {
        await command(fx.gateway, id, { type: 'trigger', reason: 'test' });
        await waitFor(
          `${id} at tick ${n}`,
          async () => (await getExecution(fx.gateway, id)).tick >= n || undefined,
        );
      };
      await ticked(1);
      const reply = await reload(fx.gateway, id, { source: LONG_V2, policy });
      expect(reply.execution.tick).toBe(1);
      for (let n = 2; n <= 6; n++) await ticked(n);
      await command(fx.gateway, id, { type: 'stop' });
      await expectConsecutiveTicks(fx.gateway, id);
      const records = (await readTicks(fx.gateway.nc, id)).map((t) => t.data);
      // LONG's run is 4 ticks: a let-finish swap waits for tick 4 (SUCCESS); the others swap at once.
      const firstNew = policy === 'let-finish-then-swap' ? 5 : 2;
      expect(records.map((r) => r.version)).toEqual(
        records.map((r) => (r.tick < firstNew ? 1 : reply.toVersion)),
      );
      const keys = (r: (typeof records)[number]) => r.writes.map((w) => w.key);
      expect(records.filter((r) => r.tick >= firstNew).every((r) => keys(r).includes('m'))).toBe(
        true,
      );
      expect(records.filter((r) => r.tick < firstNew).every((r) => keys(r).includes('n'))).toBe(
        true,
      );
    },
  );

  it.each(['swap-now', 'cancel-and-restart'] as const)(
    'an auto execution reloaded with %s runs the new tree from the next tick on',
    async (policy) => {
      const id = `auto-${policy}`;
      await createExecution(fx.gateway, { tree: 'spin', id, version: 1, mode: 'auto' });
      await waitFor(
        `${id} ticking`,
        async () => (await getExecution(fx.gateway, id)).tick >= 3 || undefined,
      );
      const reply = await reload(fx.gateway, id, { source: SPIN_V2, policy });
      const at = reply.execution.tick;
      await waitFor(
        `${id} past the reload`,
        async () => (await getExecution(fx.gateway, id)).tick >= at + 3 || undefined,
      );
      await command(fx.gateway, id, { type: 'stop' });
      await expectConsecutiveTicks(fx.gateway, id);
      const records = (await readTicks(fx.gateway.nc, id)).map((t) => t.data);
      expect(records.map((r) => r.version)).toEqual(
        records.map((r) => (r.tick <= at ? 1 : reply.toVersion)),
      );
      expect(
        records.filter((r) => r.tick > at).every((r) => r.writes.some((w) => w.key === 'm')),
      ).toBe(true);
      // The event carries the tick the reload happened after, though ticks ran on meanwhile.
      expect((await reloadEvents(fx.gateway, id)).map((e) => [e.tick, e.data.tick])).toEqual([
        [at, at],
      ]);
    },
  );

  it('an auto execution reloaded with let-finish-then-swap finishes its run, completes, and starts again on the new tree', async () => {
    await createExecution(fx.gateway, { tree: 'work', id: 'auto-lf', version: 1, mode: 'auto' });
    await waitFor('the action called', () => calls.length === 1 || undefined);
    const reply = await reload(fx.gateway, 'auto-lf', {
      source: WORK_V2,
      policy: 'let-finish-then-swap',
    });
    expect(reply.pending).toBe(true);
    later.resolve('SUCCESS');
    const done = await waitFor('auto-lf completed', async () => {
      const e = await getExecution(fx.gateway, 'auto-lf');
      return e.state === 'completed' ? e : undefined;
    });
    // The run ended on the old tree; the swap waits for the next run.
    expect(done).toMatchObject({ status: 'SUCCESS', version: 1 });
    later = deferred<ActionOutcome>();
    await command(fx.gateway, 'auto-lf', { type: 'start', mode: 'auto' });
    await waitFor('the action called again', () => calls.length === 2 || undefined);
    later.resolve('SUCCESS');
    await waitFor('the second run completed', async () => {
      const e = await getExecution(fx.gateway, 'auto-lf');
      return e.state === 'completed' && e.tick > done.tick ? e : undefined;
    });
    await expectConsecutiveTicks(fx.gateway, 'auto-lf');
    const records = (await readTicks(fx.gateway.nc, 'auto-lf')).map((t) => t.data);
    expect(records.map((r) => r.version)).toEqual(
      records.map((r) => (r.tick <= done.tick ? 1 : reply.toVersion)),
    );
    expect(records[records.length - 1].writes.map((w) => w.key)).toContain('v2');
  });

  it('follow: a new version of the tree moves the execution there, with its policy', async () => {
    await registerTree(fx.gateway, '(tree "fol" (repeat :times -1 (set "a" 1)))');
    const e = await createExecution(fx.gateway, {
      tree: 'fol',
      id: 'fo-1',
      follow: true,
      followPolicy: 'cancel-and-restart',
    });
    expect(e).toMatchObject({ follow: true, followPolicy: 'cancel-and-restart' });
    await createExecution(fx.gateway, { tree: 'fol', id: 'fo-2' });
    await tick(fx.gateway, 'fo-1');
    await tick(fx.gateway, 'fo-2');
    await registerTree(fx.gateway, '(tree "fol" (repeat :times -1 (set "b" 1)))');
    await waitFor(
      'fo-1 on version 2',
      async () => (await getExecution(fx.gateway, 'fo-1')).version === 2 || undefined,
    );
    expect(await getExecution(fx.gateway, 'fo-2')).toMatchObject({ version: 1 });
    const [event] = await reloadEvents(fx.gateway, 'fo-1');
    expect(event.data).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      policy: 'cancel-and-restart',
    });
    await tick(fx.gateway, 'fo-1');
    const records = (await readTicks(fx.gateway.nc, 'fo-1')).map((r) => r.data);
    expect(records[1].writes.map((w) => w.key)).toEqual(['b']);
  });
});

describe('tick-runner: hot reload across a handover', () => {
  const fx = useRunners({
    runners: [
      { runnerId: 'runner-ra', leaseTtlMs: 1500 },
      { runnerId: 'runner-rb', leaseTtlMs: 1500 },
    ],
    trees: [LONG_V1],
  });
  beforeAll(() => waitForShardsSplit(fx.runners));

  const ownedBy = (prefix: string, owner: string) => {
    for (let i = 0; ; i++) {
      const id = `${prefix}-${i}`;
      if (rendezvousOwner(shardOf(id, SHARDS), ['runner-ra', 'runner-rb']) === owner) return id;
    }
  };

  it('a pending swap stored by the owner is applied by the next one, with no tick lost or doubled', async () => {
    const id = ownedBy('ho', 'runner-ra');
    await createExecution(fx.gateway, { tree: 'long', id, mode: 'interval', intervalMs: 40 });
    await waitFor(
      'first tick',
      async () => (await getExecution(fx.gateway, id)).tick >= 1 || undefined,
    );
    const reply = await reload(fx.gateway, id, { source: LONG_V2 });
    expect(reply.execution.owner).toBe('runner-ra');
    const pendingBefore = reply.pending;
    // A is SIGTERMed: it hands the shard over (clean leave).
    await fx.runners[0].close();
    await waitFor(
      'running on B, new version',
      async () => {
        const e = await getExecution(fx.gateway, id);
        return (
          (e.owner === 'runner-rb' && e.version === reply.toVersion && e.tick > 8) || undefined
        );
      },
      20_000,
    );
    await command(fx.gateway, id, { type: 'stop' });
    const records = (await readTicks(fx.gateway.nc, id)).map((r) => r.data);
    expect(records.map((r) => r.tick)).toEqual(
      Array.from({ length: records.length }, (_, i) => i + 1),
    );
    const first = records.findIndex((r) => r.version === reply.toVersion);
    // Pending: the old run (4 ticks) finished first; either way only the new tree after the swap.
    if (pendingBefore) expect(records[first - 1].status).toBe('SUCCESS');
    expect(records.slice(first).every((r) => r.version === reply.toVersion)).toBe(true);
    expect(records.slice(first).flatMap((r) => r.writes.map((w) => w.key))).not.toContain('n');
    expect(records.map((r) => r.runner)).toContain('runner-rb');
  });
});
