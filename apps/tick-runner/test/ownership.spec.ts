import {
  RedisKeys,
  rendezvousOwner,
  shardOf,
  type Execution,
  type TickResponse,
} from '@canopy/contracts';
import {
  BEAT,
  command,
  createExecution,
  errorOf,
  getExecution,
  readTicks,
  registerTree,
  SHARDS,
  startRunner,
  useRunners,
  waitFor,
  waitForShardsSplit,
  type TestRunner,
} from './harness';

jest.setTimeout(60_000);

const LEASE_TTL_MS = 3000;

describe('tick-runner: two runners split the shards and hand them over', () => {
  let a: TestRunner;
  let b: TestRunner;
  let c: TestRunner;

  const held = (r: TestRunner) => r.runner.shards.heldShards();
  /** An id whose shard rendezvous gives to `owner` among `members`. */
  const idOwnedBy = (prefix: string, owner: string, members: string[]) => {
    for (let i = 0; ; i++) {
      const id = `${prefix}-${i}`;
      if (rendezvousOwner(shardOf(id, SHARDS), members) === owner) return id;
    }
  };

  const fx = useRunners({
    runners: [
      { runnerId: 'runner-a', leaseTtlMs: LEASE_TTL_MS },
      { runnerId: 'runner-b', leaseTtlMs: LEASE_TTL_MS },
    ],
    trees: [BEAT],
  });
  beforeAll(() => ([a, b] = fx.runners));

  it('splits the shards by rendezvous hashing, each held by exactly one runner', async () => {
    const members = ['runner-a', 'runner-b'];
    // Not just every shard held: runner-a may hold them all until runner-b has joined.
    await waitForShardsSplit(fx.runners);
    expect(held(a).length).toBeGreaterThan(0);
    expect(held(b).length).toBeGreaterThan(0);
    expect(held(a).filter((s) => held(b).includes(s))).toEqual([]);
    for (const shard of held(a)) expect(rendezvousOwner(shard, members)).toBe('runner-a');
    for (const shard of held(b)) expect(rendezvousOwner(shard, members)).toBe('runner-b');
    for (let shard = 0; shard < SHARDS; shard++) {
      const owner = await a.redis.hget(RedisKeys.lease(shard), 'owner');
      expect(owner).toBe(rendezvousOwner(shard, members));
    }
  });

  it('a team write committed on one runner wakes an event execution of that team on the other', async () => {
    await registerTree(fx.gateway, '(tree "team-writer" (set "team:signal" (tick)))');
    await registerTree(fx.gateway, '(tree "team-listener" (condition (= $team:signal 1)))');
    const members = ['runner-a', 'runner-b'];
    const listener = idOwnedBy('listen', 'runner-b', members);
    const writer = idOwnedBy('write', 'runner-a', members);
    await createExecution(fx.gateway, {
      tree: 'team-listener',
      id: listener,
      team: 'red',
      mode: 'event',
      intervalMs: 60_000,
    });
    await createExecution(fx.gateway, { tree: 'team-writer', id: writer, team: 'red' });
    expect((await getExecution(fx.gateway, listener)).tick).toBe(0);
    await command<TickResponse>(fx.gateway, writer, { type: 'tick', count: 1 });
    const woke = await waitFor('listener woke on B', async () => {
      const e = await getExecution(fx.gateway, listener);
      return e.tick === 1 ? e : undefined;
    });
    expect(woke).toMatchObject({ status: 'SUCCESS', owner: 'runner-b' });
    expect(b.runner.host.peek('team:red', 'signal')).toBe(1);
  });

  it('serves every execution from its owner and hands them over on a clean leave, resuming from checkpoints', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `m-${i}`);
    for (const id of ids) {
      await createExecution(fx.gateway, { tree: 'beat', id });
      await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 2 });
    }
    const owners = await Promise.all(ids.map((id) => getExecution(fx.gateway, id)));
    for (const e of owners)
      expect(e.owner).toBe(rendezvousOwner(shardOf(e.id, SHARDS), ['runner-a', 'runner-b']));
    expect(new Set(owners.map((e) => e.owner)).size).toBe(2);

    // An interval execution running on A while A leaves.
    const iv = idOwnedBy('iv', 'runner-a', ['runner-a', 'runner-b']);
    await createExecution(fx.gateway, { tree: 'beat', id: iv, mode: 'interval', intervalMs: 30 });
    await waitFor('iv ticking on A', async () => (await getExecution(fx.gateway, iv)).tick >= 3);

    // A long manual tick request on A when it leaves: answered "retry elsewhere", saying how many
    // of its ticks were committed, so a client asks the next owner only for the rest.
    const long = idOwnedBy('long', 'runner-a', ['runner-a', 'runner-b']);
    await createExecution(fx.gateway, { tree: 'beat', id: long });
    const request = errorOf(command(fx.gateway, long, { type: 'tick', count: 10_000 }, 30_000));
    await waitFor(
      'long request under way',
      async () => Number(await a.redis.hget(RedisKeys.execMeta(long), 'tick')) >= 5,
    );

    const leftAt = Date.now();
    await a.close();
    const interrupted = await request;
    expect(interrupted.code).toBe('OWNER_UNAVAILABLE');
    expect(interrupted.details).toEqual({
      ticksDone: Number(await b.redis.hget(RedisKeys.execMeta(long), 'tick')),
    });
    await waitFor('B to hold every shard', () => held(b).length === SHARDS);
    // Handed over, not expired: well within the lease TTL.
    expect(Date.now() - leftAt).toBeLessThan(LEASE_TTL_MS);

    for (const id of ids) {
      const next = await waitFor(`tick of ${id} on B`, () =>
        command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 }),
      );
      expect(next.tick).toBe(3);
      expect(await b.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'n')).toBe('3');
      expect((await getExecution(fx.gateway, id)).owner).toBe('runner-b');
    }

    const before = (await getExecution(fx.gateway, iv)).tick;
    await waitFor(
      'iv ticking on B',
      async () => (await getExecution(fx.gateway, iv)).tick >= before + 3,
    );
    const ticks = await readTicks(fx.gateway.nc, iv);
    // No tick lost or repeated across the handover; the epoch only grows.
    expect(ticks.map((t) => t.data.tick)).toEqual(ticks.map((_, i) => i + 1));
    expect(new Set(ticks.map((t) => t.data.runner))).toEqual(new Set(['runner-a', 'runner-b']));
    const firstOnB = ticks.findIndex((t) => t.data.runner === 'runner-b');
    expect(ticks[firstOnB].data.epoch).toBeGreaterThan(ticks[firstOnB - 1].data.epoch);
    expect(ticks.slice(firstOnB).every((t) => t.data.runner === 'runner-b')).toBe(true);
    // The blackboard and the tick count were committed together (read at one moment: it keeps ticking).
    const [[, n], [, tick]] = (await b.redis
      .multi()
      .hget(RedisKeys.scopeValues(`exec:${iv}`), 'n')
      .hget(RedisKeys.execMeta(iv), 'tick')
      .exec()) as [[null, string], [null, string]];
    expect(n).toBe(tick);
  });

  it('a joining runner takes its shards from the others, and a crashed one loses them after the TTL', async () => {
    c = await startRunner(fx.infra, { runnerId: 'runner-c', leaseTtlMs: LEASE_TTL_MS });
    fx.runners.push(c);
    const members = ['runner-b', 'runner-c'];
    await waitFor(
      'shards rebalanced to C',
      () =>
        held(c as TestRunner).length > 0 &&
        held(b).length + held(c as TestRunner).length === SHARDS,
    );
    const onC = idOwnedBy('m', 'runner-c', members);
    expect(onC).toMatch(/^m-\d+$/);
    const iv = idOwnedBy('cv', 'runner-c', members);
    await createExecution(fx.gateway, { tree: 'beat', id: iv, mode: 'interval', intervalMs: 30 });
    await waitFor('cv ticking on C', async () => {
      const e = await getExecution(fx.gateway, iv);
      return e.owner === 'runner-c' && e.tick >= 3;
    });

    const crashedAt = Date.now();
    await c.crash();
    await waitFor(
      'B to take C shards after the lease expired',
      () => held(b).length === SHARDS,
      LEASE_TTL_MS * 3,
    );
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(LEASE_TTL_MS - 500);
    const resumed = await waitFor('cv ticking on B', async () => {
      const e = await getExecution(fx.gateway, iv);
      return e.owner === 'runner-b' ? e : undefined;
    });
    await waitFor(
      'cv advancing on B',
      async () => (await getExecution(fx.gateway, iv)).tick >= resumed.tick + 2,
    );
    const ticks = await readTicks(fx.gateway.nc, iv);
    expect(ticks.map((t) => t.data.tick)).toEqual(ticks.map((_, i) => i + 1));
    const exec: Execution = await getExecution(fx.gateway, onC);
    expect(exec.owner).toBe('runner-b');
  });
});
