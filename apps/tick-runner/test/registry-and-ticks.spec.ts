import {
  RedisKeys,
  Subjects,
  shardOf,
  tickMsgId,
  type Execution,
  type TickResponse,
  type TreeRecord,
  type TreeSummary,
} from '@canopy/contracts';
import { compile } from '@canopy/dsl';
import { MemoryBlackboard, buildTree, type TreeDocument } from '@canopy/engine';
import {
  command,
  errorOf,
  readEvents,
  readTicks,
  SHARDS,
  spanExporter,
  useRunners,
  waitFor,
} from './harness';

const COUNTER = `
; counts to three
(tree "counter"
  (sequence
    (set "n" (+ $n 1))
    (log "n is" $n)
    (condition (>= $n 3))))
`;

jest.setTimeout(20_000);

describe('tick-runner: registry, executions and manual ticks over NATS', () => {
  const fx = useRunners({ runners: [{ runnerId: 'runner-a' }] });

  it('registers a tree from DSL, versions it, lists it and reads a version', async () => {
    const v1 = await fx.gateway.bus.request<TreeSummary>(
      Subjects.treesRegister,
      { source: COUNTER },
      { timeoutMs: 5000 },
    );
    expect(v1).toMatchObject({ name: 'counter', version: 1, nodeCount: 4, trees: ['counter'] });
    const v2 = await fx.gateway.bus.request<TreeSummary>(
      Subjects.treesRegister,
      { source: COUNTER },
      { timeoutMs: 5000 },
    );
    expect(v2.version).toBe(2);

    const list = await fx.gateway.bus.request<TreeSummary[]>(
      Subjects.treesList,
      {},
      { timeoutMs: 5000 },
    );
    expect(list.map((t) => [t.name, t.version])).toEqual([['counter', 2]]);

    const record = await fx.gateway.bus.request<TreeRecord>(
      Subjects.treesGet,
      { name: 'counter', version: 1 },
      { timeoutMs: 5000 },
    );
    expect(record.version).toBe(1);
    expect(record.source).toContain('(tree "counter"');
    expect(record.definition).toMatchObject({ format: 'canopy/1' });
  });

  it('registers canonical JSON and refuses what does not compile, with positions', async () => {
    const record = await fx.gateway.bus.request<TreeRecord>(
      Subjects.treesGet,
      { name: 'counter' },
      { timeoutMs: 5000 },
    );
    const json = {
      ...record.definition,
      trees: [{ ...(record.definition.trees as object[])[0], name: 'counter-json' }],
    };
    const fromJson = await fx.gateway.bus.request<TreeSummary>(
      Subjects.treesRegister,
      { definition: json },
      { timeoutMs: 5000 },
    );
    expect(fromJson).toMatchObject({ name: 'counter-json', version: 1 });

    const bad = await errorOf(
      fx.gateway.bus.request(
        Subjects.treesRegister,
        { source: '(tree "x"\n  (sequense (success)))', file: 'x.lisp' },
        { timeoutMs: 5000 },
      ),
    );
    expect(bad).toMatchObject({ code: 'COMPILE_FAILED', line: 2, column: 4 });
    expect(bad.message).toMatch(/^x\.lisp:2:4: /);
    expect((bad.details as { errors: unknown[] }).errors[0]).toMatchObject({
      file: 'x.lisp',
      line: 2,
      column: 4,
    });

    const invalid = await errorOf(
      fx.gateway.bus.request(Subjects.treesRegister, { file: 42 }, { timeoutMs: 5000 }),
    );
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'file' })]),
    );

    const missing = await errorOf(
      fx.gateway.bus.request(Subjects.treesGet, { name: 'nope' }, { timeoutMs: 5000 }),
    );
    expect(missing.code).toBe('TREE_NOT_FOUND');
  });

  it('creates an execution, ticks it on the owner, commits to Redis and publishes records and events', async () => {
    const created = await fx.gateway.bus.request<Execution>(
      Subjects.execCreate,
      { tree: 'counter', version: 1, id: 'exec-1', blackboard: { n: 0 } },
      { timeoutMs: 5000 },
    );
    expect(created).toMatchObject({
      id: 'exec-1',
      tree: 'counter',
      version: 1,
      mode: 'manual',
      state: 'created',
      tick: 0,
      owner: 'runner-a',
    });

    const first = await command<TickResponse>(fx.gateway, 'exec-1', { type: 'tick', count: 1 });
    expect(first).toEqual({ tick: 1, status: 'FAILURE', state: 'completed' });
    const third = await command<TickResponse>(fx.gateway, 'exec-1', { type: 'tick', count: 2 });
    expect(third).toEqual({ tick: 3, status: 'SUCCESS', state: 'completed' });

    // Redis holds the committed state.
    const redis = fx.runner.redis;
    expect(await redis.hget(RedisKeys.scopeValues('exec:exec-1'), 'n')).toBe('3');
    expect(await redis.hget(RedisKeys.scopeVersions('exec:exec-1'), 'n')).toBe('4');
    expect(await redis.hget(RedisKeys.execMeta('exec-1'), 'tick')).toBe('3');
    expect(
      JSON.parse((await redis.get(RedisKeys.execCheckpoint('exec-1'))) as string),
    ).toMatchObject({ v: 1, tick: 3 });

    // One record per tick on JetStream, with its dedup id and where it came from.
    const ticks = await readTicks(fx.gateway.nc, 'exec-1');
    expect(ticks.map((t) => t.msgId)).toEqual([1, 2, 3].map((n) => tickMsgId('exec-1', n, created.createdAt)));
    expect(ticks[2].data).toMatchObject({
      execId: 'exec-1',
      tree: 'counter',
      version: 1,
      runner: 'runner-a',
      tick: 3,
      status: 'SUCCESS',
      writes: [{ key: 'n', scope: 'exec', old: 2, new: 3 }],
      logs: [{ message: 'n is', values: [3] }],
      checkpoint: { v: 1, tick: 3 },
    });
    expect(ticks[2].data.epoch).toBeGreaterThan(0);

    // A replayed record (same dedup id: execution, its incarnation, tick) is dropped by the stream.
    expect(ticks[0].msgId).toBe(tickMsgId('exec-1', 1, created.createdAt));
    const ack = await fx.gateway.bus.jsPublish(Subjects.ticks('exec-1'), ticks[0].data, {
      msgID: tickMsgId('exec-1', 1, created.createdAt),
    });
    expect(ack.duplicate).toBe(true);

    // Derived events, in order, per tick.
    const events = await readEvents(fx.gateway.nc, 'exec-1');
    const tick1 = events.filter((e) => e.data.tick === 1).map((e) => e.data);
    // The same tree on the embedded engine says which nodes change in the first tick.
    const embedded = buildTree(compile(COUNTER).document as TreeDocument, {
      blackboard: new MemoryBlackboard({ exec: { n: 0 } }),
      record: { nodes: true, writes: true, logs: true, progress: true, errors: true },
    });
    const changes = embedded.tick().nodes.map((c) => ({ nodeId: c.id, from: c.from, to: c.to }));
    expect(changes.length).toBeGreaterThan(0);
    expect(tick1.map((e) => e.type)).toEqual([
      'tick_start',
      ...changes.map(() => 'node_update'),
      'blackboard_update',
      'log',
      'tick_complete',
      'execution_completed',
    ]);
    expect(tick1.filter((e) => e.type === 'node_update').map((e) => e.data)).toEqual(changes);
    expect(tick1.map((e) => e.seq)).toEqual(tick1.map((_, i) => i));
    expect(tick1.find((e) => e.type === 'blackboard_update')?.data).toEqual({
      key: 'n',
      scope: 'exec:exec-1',
      value: 1,
      old: 0,
    });
    expect(tick1.find((e) => e.type === 'tick_complete')?.data).toMatchObject({
      status: 'FAILURE',
      writes: 1,
    });
  });

  it('traces a tick as a child of the command that caused it, with commit and publish spans', async () => {
    spanExporter.reset();
    await fx.gateway.bus.request(
      Subjects.execCreate,
      { tree: 'counter', id: 'traced-1', blackboard: { n: 0 } },
      { timeoutMs: 5000 },
    );
    await command<TickResponse>(fx.gateway, 'traced-1', { type: 'tick', count: 2 });
    const spans = spanExporter.getFinishedSpans();
    const commandSpan = spans.find((s) => s.name === 'command tick');
    const ticks = spans.filter(
      (s) => s.name === 'tick' && s.attributes['canopy.exec.id'] === 'traced-1',
    );
    expect(commandSpan).toBeDefined();
    expect(ticks.map((s) => s.attributes['canopy.tick'])).toEqual([1, 2]);
    expect(ticks[0].attributes['canopy.status']).toBe('FAILURE');
    // The first tick is parented by the command span (one trace from the gateway's request).
    expect(ticks[0].parentSpanContext?.spanId).toBe(commandSpan?.spanContext().spanId);
    expect(ticks[0].spanContext().traceId).toBe(commandSpan?.spanContext().traceId);
    for (const name of ['commit', 'publish']) {
      const child = spans.find(
        (s) => s.name === name && s.parentSpanContext?.spanId === ticks[0].spanContext().spanId,
      );
      expect(child).toBeDefined();
    }
  });

  it('reads executions from the owner and from Redis, stops and deletes them', async () => {
    const got = await fx.gateway.bus.request<Execution>(
      Subjects.execGet,
      { id: 'exec-1' },
      { timeoutMs: 5000 },
    );
    expect(got).toMatchObject({ id: 'exec-1', tick: 3, status: 'SUCCESS', owner: 'runner-a' });
    const list = await fx.gateway.bus.request<Execution[]>(
      Subjects.execList,
      { tree: 'counter' },
      { timeoutMs: 5000 },
    );
    expect(list.map((e) => e.id)).toEqual(['exec-1', 'traced-1']);
    expect(list[0]).toMatchObject({ tick: 3, state: 'completed', owner: 'runner-a' });
    const limited = await fx.gateway.bus.request<Execution[]>(
      Subjects.execList,
      { state: 'completed', limit: 1 },
      { timeoutMs: 5000 },
    );
    expect(limited.map((e) => e.id)).toEqual(['exec-1']);

    const stopped = await command<Execution>(fx.gateway, 'exec-1', { type: 'stop' });
    expect(stopped.state).toBe('stopped');
    const refused = await errorOf(command(fx.gateway, 'exec-1', { type: 'tick', count: 1 }));
    expect(refused.code).toBe('EXECUTION_STOPPED');

    await expect(
      fx.gateway.bus.request(Subjects.execDelete, { id: 'exec-1' }, { timeoutMs: 5000 }),
    ).resolves.toEqual({ deleted: true });
    expect(
      await fx.runner.redis.exists(
        RedisKeys.execMeta('exec-1'),
        RedisKeys.scopeValues('exec:exec-1'),
      ),
    ).toBe(0);
    expect(
      await fx.runner.redis.sismember(RedisKeys.shardExecs(shardOf('exec-1', SHARDS)), 'exec-1'),
    ).toBe(0);
    expect(
      (
        await errorOf(
          fx.gateway.bus.request(Subjects.execGet, { id: 'exec-1' }, { timeoutMs: 5000 }),
        )
      ).code,
    ).toBe('EXECUTION_NOT_FOUND');
    expect((await errorOf(command(fx.gateway, 'exec-1', { type: 'tick', count: 1 }))).code).toBe(
      'EXECUTION_NOT_FOUND',
    );
  });

  it('answers malformed messages with VALIDATION_FAILED and keeps serving', async () => {
    const badCreate = await errorOf(
      fx.gateway.bus.request(
        Subjects.execCreate,
        { tree: 'counter', mode: 'sometimes', maxTicks: -1 },
        { timeoutMs: 5000 },
      ),
    );
    expect(badCreate.code).toBe('VALIDATION_FAILED');
    expect((badCreate.fields as { field: string }[]).map((f) => f.field).sort()).toEqual([
      'maxTicks',
      'mode',
    ]);

    await fx.gateway.bus.request(
      Subjects.execCreate,
      { tree: 'counter', id: 'exec-2' },
      { timeoutMs: 5000 },
    );
    const badCommand = await errorOf(
      command(fx.gateway, 'exec-2', { type: 'tick', count: 0 } as never),
    );
    expect(badCommand.code).toBe('VALIDATION_FAILED');
    const notJson = await errorOf(
      fx.gateway.nc
        .request(Subjects.command(shardOf('exec-2', SHARDS), 'exec-2'), 'not json')
        .then((m) => {
          const body = m.json<{ error?: unknown }>();
          if (body.error) throw { toBody: () => body };
          return body;
        }),
    );
    expect(notJson.code).toBe('BAD_JSON');
    const dup = await errorOf(
      fx.gateway.bus.request(
        Subjects.execCreate,
        { tree: 'counter', id: 'exec-2' },
        { timeoutMs: 5000 },
      ),
    );
    expect(dup.code).toBe('EXECUTION_EXISTS');
    await waitFor('exec-2 to answer', () =>
      command<TickResponse>(fx.gateway, 'exec-2', { type: 'tick', count: 1 }),
    );
  });
});
