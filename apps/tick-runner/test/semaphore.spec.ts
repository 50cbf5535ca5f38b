import {
  RedisKeys,
  Subjects,
  shardOf,
  type BlackboardChanged,
  type Execution,
} from '@canopy/contracts';
import {
  command,
  createExecution,
  readTicks,
  SHARDS,
  useRunners,
  waitForShardsSplit,
  waitFor,
  type TestRunner,
} from './harness';

jest.setTimeout(60_000);

const KEY = '__semaphore:s';

/** Holders stored for a semaphore of team `red`, as Redis has them. */
async function holders(runner: TestRunner, key: string): Promise<string[]> {
  const json = await runner.redis.hget(RedisKeys.scopeValues('team:red'), key);
  return json ? (JSON.parse(json) as string[]) : [];
}

describe('tick-runner: team semaphores are atomic across runners and freed when their holder ends', () => {
  let a: TestRunner;
  let b: TestRunner;

  const fx = useRunners({
    runners: [
      { runnerId: 'runner-sa', leaseTtlMs: 1500 },
      { runnerId: 'runner-sb', leaseTtlMs: 1500 },
    ],
    trees: [
      '(tree "contend" (semaphore :name "s" :max 1 (wait :ms 15)))',
      '(tree "hold" (semaphore :name "h" :max 1 (wait :ms 600000)))',
    ],
  });
  beforeAll(async () => {
    [a, b] = fx.runners;
    await waitForShardsSplit(fx.runners);
  });

  /** Execution ids whose shards `runner` holds. */
  const idsOn = (runner: TestRunner, prefix: string, count: number): string[] => {
    const held = new Set(runner.runner.shards.heldShards());
    const out: string[] = [];
    for (let i = 0; out.length < count; i++)
      if (held.has(shardOf(`${prefix}-${i}`, SHARDS))) out.push(`${prefix}-${i}`);
    return out;
  };

  it("never has more holders than :max, each commit changing only its own execution's holders", async () => {
    const changes: BlackboardChanged[] = [];
    const sub = fx.gateway.nc.subscribe(Subjects.bbChanged('team:red'), {
      callback: (_e, m) => {
        const change = m.json<BlackboardChanged>();
        if (change.key === KEY) changes.push(change);
      },
    });
    const ids = [...idsOn(a, 'ca', 4), ...idsOn(b, 'cb', 4)];
    for (const id of ids)
      await createExecution(fx.gateway, {
        tree: 'contend',
        id,
        team: 'red',
        mode: 'interval',
        intervalMs: 5,
      });
    // Long enough for many hand-offs of the slot between the two runners.
    await waitFor('slot changed hands often', () => changes.length >= 200, 40_000);
    for (const id of ids) await command<Execution>(fx.gateway, id, { type: 'stop' });
    await waitFor('slot free', async () => (await holders(a, KEY)).length === 0);
    sub.unsubscribe();

    const byVersion = [...changes].sort((x, y) => x.version - y.version);
    // Every committed value of the key was announced: versions have no gaps and no repeats.
    expect(byVersion.map((c) => c.version)).toEqual(
      byVersion.map((_, i) => byVersion[0].version + i),
    );
    let previous: string[] = [];
    const owners = new Set<string>();
    for (const change of byVersion) {
      const value = change.value as string[];
      expect(value.length).toBeLessThanOrEqual(1);
      // A commit adds or removes only the holders of the execution that made it: no slot is lost.
      const exec = change.source.replace(/^exec:/, '');
      const touched = [
        ...value.filter((h) => !previous.includes(h)),
        ...previous.filter((h) => !value.includes(h)),
      ];
      for (const h of touched) expect(h.startsWith(`${exec}:`)).toBe(true);
      for (const h of value) owners.add(h.split(':')[0]);
      previous = value;
    }
    // Both runners' executions held the slot.
    expect([...owners].some((id) => id.startsWith('ca-'))).toBe(true);
    expect([...owners].some((id) => id.startsWith('cb-'))).toBe(true);
  });

  it('frees the slot of an execution deleted while its runner is dead', async () => {
    const [id] = idsOn(a, 'dead', 1);
    await createExecution(fx.gateway, {
      tree: 'hold',
      id,
      team: 'red',
      mode: 'interval',
      intervalMs: 20,
    });
    await waitFor('slot taken', async () => (await holders(a, '__semaphore:h')).length === 1);
    await a.crash();
    await expect(
      fx.gateway.bus.request(Subjects.execDelete, { id }, { timeoutMs: 10_000 }),
    ).resolves.toEqual({ deleted: true });
    expect(await holders(b, '__semaphore:h')).toEqual([]);
    // A new holder gets the slot.
    const [next] = idsOn(b, 'next', 1);
    await createExecution(fx.gateway, {
      tree: 'hold',
      id: next,
      team: 'red',
      mode: 'interval',
      intervalMs: 20,
    });
    await waitFor(
      'slot taken again',
      async () => (await holders(b, '__semaphore:h')).join() === `${next}:0`,
    );
    await command(fx.gateway, next, { type: 'stop' });
  });

  it('frees the slot when a run ends by maxTicks while the tree is still running', async () => {
    const [id] = idsOn(b, 'max', 1);
    await createExecution(fx.gateway, {
      tree: 'hold',
      id,
      team: 'red',
      mode: 'interval',
      intervalMs: 20,
      maxTicks: 3,
    });
    await waitFor(
      'completed',
      async () => (await b.redis.hget(RedisKeys.execMeta(id), 'state')) === 'completed',
    );
    expect(await holders(b, '__semaphore:h')).toEqual([]);
    const ticks = await waitFor('records', async () => {
      const t = await readTicks(fx.gateway.nc, id);
      return t.length === 3 ? t : undefined;
    });
    // The last tick carries the halt: the tree is IDLE again and the release is one of its writes.
    const last = ticks[2].data;
    expect(ticks[1].data.status).toBe('RUNNING');
    expect(last.status).toBe('IDLE');
    expect(last.writes.at(-1)).toMatchObject({
      scope: 'team',
      key: '__semaphore:h',
      old: [`${id}:0`],
      new: [],
    });
    expect(
      last.nodes
        .filter((n) => n.to === 'IDLE')
        .map((n) => n.id)
        .sort(),
    ).toEqual(['0', '0.0']);
  });
});
