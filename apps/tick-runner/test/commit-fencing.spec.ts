import {
  RedisKeys,
  Subjects,
  shardOf,
  tickMsgId,
  type BlackboardChanged,
  type TickResponse,
} from '@canopy/contracts';
import type { ActionOutcome } from '@canopy/engine';
import { parseCommitReply, queueCommit, queueCommitBatch, type CommitRequest, type ScopeWrite } from '../src/commit/commit-request';
import { metaFromHash } from '../src/executions/execution-meta';
import {
  command,
  createExecution,
  getExecution,
  errorOf,
  outsideWrite,
  readTicks,
  registerTree,
  SHARDS,
  useRunners,
  waitFor,
} from './harness';

jest.setTimeout(30_000);

describe('tick-runner: commits are atomic and fenced; outside writes land between ticks', () => {
  let poke: () => ActionOutcome = () => 'SUCCESS';
  const fx = useRunners({
    runners: [{ runnerId: 'runner-f', localActions: { poke: () => poke() } }],
    trees: [
      '(tree "writer" (sequence (set "global:g" (tick)) (set "team:t" (tick)) (set "x" (tick))))',
      '(tree "peek" (sequence (action poke) (set "during" $x)))',
    ],
  });

  /** Everything the commit may touch, to compare before/after a refused commit. */
  const snapshot = async (id: string) => {
    const r = fx.runner.redis;
    return {
      meta: await r.hgetall(RedisKeys.execMeta(id)),
      checkpoint: await r.get(RedisKeys.execCheckpoint(id)),
      global: [
        await r.hgetall(RedisKeys.scopeValues('global')),
        await r.hgetall(RedisKeys.scopeVersions('global')),
      ],
      team: [
        await r.hgetall(RedisKeys.scopeValues('team:blue')),
        await r.hgetall(RedisKeys.scopeVersions('team:blue')),
      ],
      exec: [
        await r.hgetall(RedisKeys.scopeValues(`exec:${id}`)),
        await r.hgetall(RedisKeys.scopeVersions(`exec:${id}`)),
      ],
    };
  };

  const commitDirect = async (id: string, epoch: number, owner: string, tick: number) => {
    const meta = metaFromHash(await fx.runner.redis.hgetall(RedisKeys.execMeta(id)));
    if (!meta) throw new Error('no meta');
    const pipeline = fx.runner.redis.pipeline();
    const writes: ScopeWrite[] = [
      { scope: 'global', key: 'g', value: 'intruder', deleted: false },
      { scope: `exec:${id}`, key: 'x', value: 'intruder', deleted: false },
    ];
    queueCommit(pipeline, {
      runnerId: owner,
      shard: shardOf(id, SHARDS),
      epoch,
      kind: 'tick',
      meta: { ...meta, tick },
      checkpoint: { v: 1, fingerprint: 'x', tick, nodes: {} },
      writes,
    });
    const [[error, reply]] = (await pipeline.exec()) as [[Error | null, unknown]];
    if (error) throw error;
    return parseCommitReply(reply, writes);
  };

  it('commits writes to every scope, the checkpoint and the metadata together, and announces shared writes', async () => {
    const changes: BlackboardChanged[] = [];
    const sub = fx.gateway.nc.subscribe(Subjects.bbChangedAll, {
      callback: (_e, m) => void changes.push(m.json<BlackboardChanged>()),
    });
    await createExecution(fx.gateway, { tree: 'writer', id: 'f-1', team: 'blue' });
    await command<TickResponse>(fx.gateway, 'f-1', { type: 'tick', count: 1 });
    const s = await snapshot('f-1');
    expect(s.global).toEqual([{ g: '1' }, { g: '1' }]);
    expect(s.team).toEqual([{ t: '1' }, { t: '1' }]);
    expect(s.exec).toEqual([{ x: '1' }, { x: '1' }]);
    expect(s.meta.tick).toBe('1');
    await waitFor('shared changes', () => changes.length >= 2);
    expect(changes.map((c) => [c.scope, c.key, c.value, c.version, c.source])).toEqual([
      ['global', 'g', 1, 1, 'exec:f-1'],
      ['team:blue', 't', 1, 1, 'exec:f-1'],
    ]);
    sub.unsubscribe();
  });

  it('refuses a commit under a stale epoch or another owner, applying nothing', async () => {
    const shard = shardOf('f-1', SHARDS);
    const epoch = Number(await fx.runner.redis.hget(RedisKeys.lease(shard), 'epoch'));
    const before = await snapshot('f-1');
    expect(await commitDirect('f-1', epoch - 1, 'runner-f', 2)).toMatchObject({
      kind: 'fenced',
      owner: 'runner-f',
    });
    expect(await commitDirect('f-1', epoch, 'someone-else', 2)).toMatchObject({ kind: 'fenced' });
    expect(await snapshot('f-1')).toEqual(before);
  });

  it('ignores a commit whose tick is not newer than the stored one', async () => {
    const shard = shardOf('f-1', SHARDS);
    const epoch = Number(await fx.runner.redis.hget(RedisKeys.lease(shard), 'epoch'));
    const before = await snapshot('f-1');
    expect(await commitDirect('f-1', epoch, 'runner-f', 1)).toEqual({
      kind: 'stale',
      storedTick: 1,
    });
    expect(await snapshot('f-1')).toEqual(before);
  });

  it('stores the checkpoint the record carries, byte for byte, also after multi-byte text', async () => {
    // The commit script cuts the checkpoint out of the record's UTF-8 text by byte offset.
    await registerTree(fx.gateway, '(tree "utf8" (sequence :id "wörk ✓" (set "greeting" "héllo ✓ 日本 🌳") (running)))');
    await createExecution(fx.gateway, { tree: 'utf8', id: 'f-utf8' });
    await command<TickResponse>(fx.gateway, 'f-utf8', { type: 'tick', count: 1 });
    const [last] = await readTicks(fx.gateway.nc, 'f-utf8');
    // Multi-byte text before the checkpoint (the write) and in it (a node id).
    expect(last.data.writes).toEqual([{ scope: 'exec', key: 'greeting', new: 'héllo ✓ 日本 🌳' }]);
    expect(last.data.checkpoint.nodes).toHaveProperty(['wörk ✓']);
    const stored = await fx.runner.redis.get(RedisKeys.execCheckpoint('f-utf8'));
    expect(JSON.parse(stored ?? 'null')).toEqual(last.data.checkpoint);
  });

  it('judges each commit of a batch call on its own: a fenced or stale one leaves the others applied', async () => {
    await createExecution(fx.gateway, { tree: 'writer', id: 'f-b1', team: 'blue' });
    await createExecution(fx.gateway, { tree: 'writer', id: 'f-b2', team: 'blue' });
    const request = async (id: string, epochDelta: number, tick: number, value: string): Promise<CommitRequest> => {
      const meta = metaFromHash(await fx.runner.redis.hgetall(RedisKeys.execMeta(id)));
      if (!meta) throw new Error('no meta');
      const shard = shardOf(id, SHARDS);
      const epoch = Number(await fx.runner.redis.hget(RedisKeys.lease(shard), 'epoch')) + epochDelta;
      return {
        runnerId: 'runner-f',
        shard,
        epoch,
        kind: 'tick',
        meta: { ...meta, tick },
        checkpoint: { v: 1, fingerprint: 'x', tick, nodes: {} },
        writes: [{ scope: `exec:${id}`, key: 'x', value, deleted: false }],
      };
    };
    const batch = [
      await request('f-b1', -1, 5, 'fenced'),
      await request('f-b2', 0, 5, 'first'),
      await request('f-b2', 0, 5, 'again'),
      await request('f-b2', 0, 6, 'second'),
    ];
    const before = await snapshot('f-b1');
    const pipeline = fx.runner.redis.pipeline();
    queueCommitBatch(pipeline, batch);
    const [[error, replies]] = (await pipeline.exec()) as [[Error | null, unknown[]]];
    expect(error).toBeNull();
    expect(replies.map((r, i) => parseCommitReply(r, batch[i].writes))).toEqual([
      { kind: 'fenced', owner: 'runner-f', epoch: String(batch[0].epoch + 1) },
      { kind: 'ok', versions: [1], released: [] },
      { kind: 'stale', storedTick: 5 },
      { kind: 'ok', versions: [2], released: [] },
    ]);
    expect(await snapshot('f-b1')).toEqual(before);
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues('exec:f-b2'), 'x')).toBe('"second"');
    expect(await fx.runner.redis.hget(RedisKeys.execMeta('f-b2'), 'tick')).toBe('6');
  });

  it('a fx.runner whose lease was taken is fenced on its next commit, drops the shard, and resumes once it holds it again', async () => {
    const shard = shardOf('f-1', SHARDS);
    const lease = RedisKeys.lease(shard);
    const epoch = Number(await fx.runner.redis.hget(lease, 'epoch'));
    expect(fx.runner.runner.shards.epochOf(shard)).toBe(epoch);
    // Another fx.runner took the shard the way the acquire script does (no TTL, so it stays taken while we look).
    const intruderEpoch = await fx.runner.redis.incr(RedisKeys.leaseEpoch(shard));
    await fx.runner.redis
      .multi()
      .del(lease)
      .hset(lease, 'owner', 'intruder', 'epoch', String(intruderEpoch))
      .exec();
    const before = await snapshot('f-1');
    const fenced = await errorOf(command(fx.gateway, 'f-1', { type: 'tick', count: 1 }));
    expect(fenced.code).toBe('FENCED');
    expect(await snapshot('f-1')).toEqual(before);
    expect(fx.runner.runner.shards.heldShards()).not.toContain(shard);
    expect(await readTicks(fx.gateway.nc, 'f-1')).toHaveLength(1);

    // The intruder goes away: the fx.runner takes the shard back under a newer epoch and resumes from the checkpoint.
    await fx.runner.redis.del(lease);
    await waitFor('shard re-acquired', () => fx.runner.runner.shards.heldShards().includes(shard));
    expect(fx.runner.runner.shards.epochOf(shard)).toBeGreaterThan(intruderEpoch);
    const next = await waitFor('tick after re-acquire', () =>
      command<TickResponse>(fx.gateway, 'f-1', { type: 'tick', count: 1 }),
    );
    expect(next.tick).toBe(2);
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues('exec:f-1'), 'x')).toBe('2');
    const ticks = await readTicks(fx.gateway.nc, 'f-1');
    const { createdAt } = await getExecution(fx.gateway, 'f-1');
    expect(ticks.map((t) => t.msgId)).toEqual([tickMsgId('f-1', 1, createdAt), tickMsgId('f-1', 2, createdAt)]);
    expect(ticks[1].data.epoch).toBeGreaterThan(ticks[0].data.epoch);
  });

  it('a tick committed but never published is republished by the next owner (outbox), without a duplicate', async () => {
    const ob = await createExecution(fx.gateway, { tree: 'writer', id: 'ob-1', team: 'blue' });
    await command<TickResponse>(fx.gateway, 'ob-1', { type: 'tick', count: 1 });
    const [first] = await readTicks(fx.gateway.nc, 'ob-1');
    const shard = shardOf('ob-1', SHARDS);
    const epoch = fx.runner.runner.shards.epochOf(shard) as number;
    // The owner commits tick 2 and dies before publishing it.
    const meta = metaFromHash(await fx.runner.redis.hgetall(RedisKeys.execMeta('ob-1')));
    const checkpoint = { ...first.data.checkpoint, tick: 2 };
    const pipeline = fx.runner.redis.pipeline();
    queueCommit(pipeline, {
      runnerId: 'runner-f',
      shard,
      epoch,
      kind: 'tick',
      meta: { ...(meta as NonNullable<typeof meta>), tick: 2 },
      checkpoint,
      record: { ...first.data, tick: 2, checkpoint },
      writes: [],
    });
    await pipeline.exec();
    // It loses the shard and takes it back: loading the execution replays the outbox.
    const intruderEpoch = await fx.runner.redis.incr(RedisKeys.leaseEpoch(shard));
    await fx.runner.redis.hset(
      RedisKeys.lease(shard),
      'owner',
      'intruder',
      'epoch',
      String(intruderEpoch),
    );
    await errorOf(command(fx.gateway, 'ob-1', { type: 'tick', count: 1 }));
    await fx.runner.redis.del(RedisKeys.lease(shard));
    const third = await waitFor('tick after takeover', () =>
      command<TickResponse>(fx.gateway, 'ob-1', { type: 'tick', count: 1 }),
    );
    expect(third.tick).toBe(3);
    const ticks = await readTicks(fx.gateway.nc, 'ob-1');
    expect(ticks.map((t) => t.msgId)).toEqual([1, 2, 3].map((n) => tickMsgId('ob-1', n, ob.createdAt)));
  });

  it('a refused commit leaves no value Redis never received in the cache: the next reader sees what Redis has', async () => {
    await registerTree(fx.gateway, '(tree "g-writer" (set "global:shared" (tick)))');
    await registerTree(fx.gateway, '(tree "g-reader" (set "seen" (get "global:shared" 0)))');
    const writer = 'st-w';
    let reader = 'st-r0';
    for (let i = 1; shardOf(reader, SHARDS) === shardOf(writer, SHARDS); i++) reader = `st-r${i}`;
    await createExecution(fx.gateway, { tree: 'g-writer', id: writer });
    await createExecution(fx.gateway, { tree: 'g-reader', id: reader });
    await command(fx.gateway, writer, { type: 'tick', count: 1 });
    await command(fx.gateway, reader, { type: 'tick', count: 1 });
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues('global'), 'shared')).toBe('1');

    // The writer's shard is taken away; its next tick writes 2 in memory and its commit is refused.
    const shard = shardOf(writer, SHARDS);
    const intruderEpoch = await fx.runner.redis.incr(RedisKeys.leaseEpoch(shard));
    await fx.runner.redis
      .multi()
      .del(RedisKeys.lease(shard))
      .hset(RedisKeys.lease(shard), 'owner', 'intruder', 'epoch', String(intruderEpoch))
      .exec();
    expect((await errorOf(command(fx.gateway, writer, { type: 'tick', count: 1 }))).code).toBe(
      'FENCED',
    );
    expect(await fx.runner.redis.hget(RedisKeys.scopeValues('global'), 'shared')).toBe('1');

    await command(fx.gateway, reader, { type: 'tick', count: 1 });
    const ticks = await readTicks(fx.gateway.nc, reader);
    expect(ticks.map((t) => t.data.writes.find((w) => w.key === 'seen')?.new)).toEqual([1, 1]);
    expect(fx.runner.runner.host.peek('global', 'shared')).toBe(1);
    await fx.runner.redis.del(RedisKeys.lease(shard));
  });

  it('applies an outside write at the next tick, never within the tick that caused it, and only if newer', async () => {
    await createExecution(fx.gateway, { tree: 'peek', id: 'o-1', blackboard: { x: 1 } });
    let poked = false;
    poke = () => {
      // Runs inside the tick: the change is published now but can only be handled after the tick.
      if (!poked) void outsideWrite(fx.runner.redis, fx.gateway, 'exec:o-1', 'x', 2);
      poked = true;
      return 'SUCCESS';
    };
    await command(fx.gateway, 'o-1', { type: 'tick', count: 1 });
    await waitFor('cache updated', () => fx.runner.runner.host.peek('exec:o-1', 'x') === 2);
    await command(fx.gateway, 'o-1', { type: 'tick', count: 1 });

    // An older version arriving late is ignored.
    const stale: BlackboardChanged = {
      scope: 'exec:o-1',
      key: 'x',
      value: 'old',
      version: 1,
      source: 'rest',
      at: new Date().toISOString(),
    };
    fx.gateway.bus.publish(Subjects.bbChanged('exec:o-1'), stale);
    await fx.gateway.nc.flush();
    await command(fx.gateway, 'o-1', { type: 'tick', count: 1 });
    const ticks = await readTicks(fx.gateway.nc, 'o-1');
    const during = ticks.map((t) => t.data.writes.find((w) => w.key === 'during')?.new);
    expect(during).toEqual([1, 2, 2]);
  });
});
