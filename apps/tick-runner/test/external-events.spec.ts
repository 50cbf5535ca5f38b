import {
  EVENT_BATCH_MAX,
  RedisKeys,
  Subjects,
  rendezvousOwner,
  shardOf,
  type Breakpoint,
  type DebugView,
  type Execution,
  type TickRecordMessage,
  type TickResponse,
  type TriggerResponse,
} from '@canopy/contracts';
import {
  SHARDS,
  command,
  createExecution,
  errorOf,
  readTicks,
  useRunners,
  waitFor,
  waitForShardsSplit,
  type TestRunner,
} from './harness';

jest.setTimeout(60_000);

const QUEUE_MAX = 120;
/** Writes the batch of each tick to `seen`. */
const SEEN = '(tree "seen" (set "seen" (events)))';
/** An event-mode tree: opens on "open" (keeping its payload), idles otherwise. */
const DOOR = `(tree "door" (selector
  (on-event "open" (set "opened" (event "open")))
  (set "idle" (+ (get "idle" 0) 1))))`;
/** Pauses (at a breakpoint on 0.1) in the middle of a tick that read its events. */
const TWO_STEPS = '(tree "two" (sequence (set "first" (events)) (set "second" (len (events)))))';

const trigger = (fx: ReturnType<typeof useRunners>, id: string, name: string, payload?: unknown) =>
  command<TriggerResponse>(fx.gateway, id, { type: 'trigger', event: { name, payload } });

/** Tick records of an execution, once there are `n`. */
const ticksOf = (fx: ReturnType<typeof useRunners>, id: string, n: number) =>
  waitFor(`${n} tick records of ${id}`, async () => {
    const all = await readTicks(fx.gateway.nc, id);
    return all.length >= n ? all.map((t) => t.data) : undefined;
  });

const names = (record: TickRecordMessage) => (record.events ?? []).map((e) => e.name);

describe('tick-runner: external events', () => {
  const fx = useRunners({
    runners: [
      { runnerId: 'runner-ea', leaseTtlMs: 1500, eventQueueMax: QUEUE_MAX },
      { runnerId: 'runner-eb', leaseTtlMs: 1500, eventQueueMax: QUEUE_MAX },
    ],
    trees: [SEEN, DOOR, TWO_STEPS],
  });
  let a: TestRunner;

  beforeAll(async () => {
    a = fx.runners[0];
    await waitForShardsSplit(fx.runners);
  });

  /** An execution id whose shard runner-ea owns. */
  const onA = (prefix: string): string => {
    let id = `${prefix}-0`;
    for (let i = 1; rendezvousOwner(shardOf(id, SHARDS), ['runner-ea', 'runner-eb']) !== 'runner-ea'; i++) id = `${prefix}-${i}`;
    return id;
  };

  it('stores events in order and gives each tick the oldest ones, at most one batch', async () => {
    await createExecution(fx.gateway, { tree: 'seen', id: 'ord-1' });
    const replies: TriggerResponse[] = [];
    replies.push(await trigger(fx, 'ord-1', 'a', 1));
    replies.push(await trigger(fx, 'ord-1', 'b', { x: [1, 2] }));
    replies.push(await trigger(fx, 'ord-1', 'c'));
    expect(replies.map((r) => r.queued)).toEqual([1, 2, 3]);
    expect(replies.every((r) => r.accepted === true && Math.abs(r.at - Date.now()) < 10_000)).toBe(true);

    await command<TickResponse>(fx.gateway, 'ord-1', { type: 'tick', count: 1 });
    const expected = [
      { name: 'a', payload: 1, at: replies[0].at },
      { name: 'b', payload: { x: [1, 2] }, at: replies[1].at },
      { name: 'c', payload: null, at: replies[2].at },
    ];
    const [first] = await ticksOf(fx, 'ord-1', 1);
    expect(first.events).toEqual(expected);
    expect(JSON.parse((await a.redis.hget(RedisKeys.scopeValues('exec:ord-1'), 'seen')) ?? 'null')).toEqual(expected);

    // Taken by a committed tick: gone from the queue, and the next tick has none.
    expect(await a.redis.xlen(RedisKeys.execEvents('ord-1'))).toBe(0);
    await command<TickResponse>(fx.gateway, 'ord-1', { type: 'tick', count: 1 });
    const records = await ticksOf(fx, 'ord-1', 2);
    expect(records[1].events).toBeUndefined();
    expect(JSON.parse((await a.redis.hget(RedisKeys.scopeValues('exec:ord-1'), 'seen')) ?? 'null')).toEqual([]);

    // More than a batch: the first tick takes EVENT_BATCH_MAX, the next the rest, in order.
    const sent: string[] = [];
    for (let i = 0; i < EVENT_BATCH_MAX + 10; i++) {
      sent.push(`e${i}`);
      await trigger(fx, 'ord-1', `e${i}`, i);
    }
    await command<TickResponse>(fx.gateway, 'ord-1', { type: 'tick', count: 2 });
    const all = await ticksOf(fx, 'ord-1', 4);
    expect(names(all[2])).toEqual(sent.slice(0, EVENT_BATCH_MAX));
    expect(names(all[3])).toEqual(sent.slice(EVENT_BATCH_MAX));
  });

  it('ticks an event-mode execution on an event, and on nothing else', async () => {
    await createExecution(fx.gateway, { tree: 'door', id: 'door-1', mode: 'event' });
    const reply = await trigger(fx, 'door-1', 'open', { by: 'ada' });
    const [tick] = await ticksOf(fx, 'door-1', 1);
    expect(tick.events).toEqual([{ name: 'open', payload: { by: 'ada' }, at: reply.at }]);
    expect(JSON.parse((await a.redis.hget(RedisKeys.scopeValues('exec:door-1'), 'opened')) ?? 'null')).toEqual({ by: 'ada' });

    // Another event ticks it again; on-event fails without it, so the tree idles.
    await trigger(fx, 'door-1', 'knock');
    const ticks = await ticksOf(fx, 'door-1', 2);
    expect(names(ticks[1])).toEqual(['knock']);
    expect(await a.redis.hget(RedisKeys.scopeValues('exec:door-1'), 'idle')).toBe('1');
    const e = await command<Execution>(fx.gateway, 'door-1', { type: 'get' });
    expect(e.tick).toBe(2);
  });

  it('keeps events while paused and delivers them in one tick on resume; more than a batch ticks again', async () => {
    await createExecution(fx.gateway, { tree: 'door', id: 'door-2', mode: 'event' });
    await command<Execution>(fx.gateway, 'door-2', { type: 'pause' });
    const sent: string[] = [];
    for (let i = 0; i < EVENT_BATCH_MAX + 5; i++) {
      sent.push(i === 3 ? 'open' : `k${i}`);
      await trigger(fx, 'door-2', sent[i], i);
    }
    const paused = await command<Execution>(fx.gateway, 'door-2', { type: 'get' });
    expect(paused).toMatchObject({ state: 'paused', tick: 0 });
    expect(await a.redis.xlen(RedisKeys.execEvents('door-2'))).toBe(EVENT_BATCH_MAX + 5);

    await command<Execution>(fx.gateway, 'door-2', { type: 'resume' });
    const ticks = await ticksOf(fx, 'door-2', 2);
    expect(names(ticks[0])).toEqual(sent.slice(0, EVENT_BATCH_MAX));
    expect(names(ticks[1])).toEqual(sent.slice(EVENT_BATCH_MAX));
    expect(await a.redis.hget(RedisKeys.scopeValues('exec:door-2'), 'opened')).toBe('3');
    await waitFor('queue empty', async () => (await a.redis.xlen(RedisKeys.execEvents('door-2'))) === 0);
  });

  it('refuses an event over the bound with EVENT_QUEUE_FULL, and takes events again once a tick took some', async () => {
    await createExecution(fx.gateway, { tree: 'seen', id: 'full-1' });
    await Promise.all(Array.from({ length: QUEUE_MAX }, (_, i) => trigger(fx, 'full-1', `f${i}`)));
    const refused = await errorOf(trigger(fx, 'full-1', 'one-too-many'));
    expect(refused).toMatchObject({ code: 'EVENT_QUEUE_FULL', details: { queued: QUEUE_MAX, max: QUEUE_MAX } });
    expect(await a.redis.xlen(RedisKeys.execEvents('full-1'))).toBe(QUEUE_MAX);

    await command<TickResponse>(fx.gateway, 'full-1', { type: 'tick', count: 1 });
    const again = await trigger(fx, 'full-1', 'fits');
    expect(again.queued).toBe(QUEUE_MAX - EVENT_BATCH_MAX + 1);
  });

  it('answers bad and impossible triggers with stable codes', async () => {
    await createExecution(fx.gateway, { tree: 'seen', id: 'bad-1' });
    expect(await errorOf(command(fx.gateway, 'bad-1', { type: 'trigger', event: { name: '' } } as never))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await errorOf(trigger(fx, 'nobody-here', 'x'))).toMatchObject({ code: 'EXECUTION_NOT_FOUND' });
    const big = 'x'.repeat(70_000);
    expect(await errorOf(trigger(fx, 'bad-1', 'x', big))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await command<Execution>(fx.gateway, 'bad-1', { type: 'stop' });
    expect(await errorOf(trigger(fx, 'bad-1', 'x'))).toMatchObject({ code: 'EXECUTION_STOPPED' });
    // A bare trigger (no event) still only wakes event executions.
    await createExecution(fx.gateway, { tree: 'seen', id: 'bad-2' });
    expect(await errorOf(command(fx.gateway, 'bad-2', { type: 'trigger' }))).toMatchObject({ code: 'EXECUTION_NOT_STARTABLE' });
  });

  it('takes events published on canopy.in.<execId>, and answers requests there once stored', async () => {
    await createExecution(fx.gateway, { tree: 'door', id: 'in-1', mode: 'event' });
    fx.gateway.bus.publish(Subjects.inbound('in-1'), { event: 'open', payload: 'by nats' });
    const [tick] = await ticksOf(fx, 'in-1', 1);
    expect(tick.events).toEqual([{ name: 'open', payload: 'by nats', at: expect.any(Number) }]);

    const reply = await fx.gateway.bus.request<TriggerResponse>(Subjects.inbound('in-1'), { event: 'knock' }, { timeoutMs: 5000 });
    expect(reply).toEqual({ accepted: true, queued: expect.any(Number), at: expect.any(Number) });
    const ticks = await ticksOf(fx, 'in-1', 2);
    expect(ticks[1].events).toEqual([{ name: 'knock', payload: null, at: reply.at }]);

    expect(
      await errorOf(fx.gateway.bus.request(Subjects.inbound('in-1'), { payload: 1 }, { timeoutMs: 5000 })),
    ).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(
      await errorOf(fx.gateway.bus.request(Subjects.inbound('in-nobody'), { event: 'x' }, { timeoutMs: 5000 })),
    ).toMatchObject({ code: 'EXECUTION_NOT_FOUND' });
  });

  it('delete removes the queue', async () => {
    await createExecution(fx.gateway, { tree: 'seen', id: 'del-1' });
    await trigger(fx, 'del-1', 'x');
    expect(await a.redis.exists(RedisKeys.execEvents('del-1'))).toBe(1);
    await fx.gateway.bus.request(Subjects.execDelete, { id: 'del-1' }, { timeoutMs: 5000 });
    expect(await a.redis.exists(RedisKeys.execEvents('del-1'))).toBe(0);
    expect(await errorOf(trigger(fx, 'del-1', 'x'))).toMatchObject({ code: 'EXECUTION_NOT_FOUND' });
  });

  describe('the owner dies', () => {
    it('after the 202 and before the tick, or in a tick paused mid-way with its events: the next owner ticks each event once', async () => {
      // Accepted (stored), not ticked yet.
      const queuedId = onA('mq');
      await createExecution(fx.gateway, { tree: 'seen', id: queuedId });
      const accepted = await trigger(fx, queuedId, 'stored', { n: 1 });

      const id = onA('pt');
      await createExecution(fx.gateway, { tree: 'two', id });
      await command<Breakpoint>(fx.gateway, id, {
        type: 'breakpoint.add',
        breakpoint: { nodeId: '0.1', when: 'before', mode: 'break', once: true, enabled: true },
      });
      const sent = [await trigger(fx, id, 'one', 1), await trigger(fx, id, 'two', 2)];
      const paused = await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
      expect(paused.pausedAt).toMatchObject({ tick: 1, nodeId: '0.1', when: 'before' });
      // An event after the pause waits for the next tick.
      const late = await trigger(fx, id, 'late', 3);
      expect(late.queued).toBe(3);

      await fx.runners[0].crash();
      await waitFor(
        'the execution on runner-eb',
        async () => {
          const e = await command<Execution>(fx.gateway, id, { type: 'get' }).catch(() => undefined);
          return e?.owner === 'runner-eb' ? e : undefined;
        },
        15_000,
      );
      const done = await command<DebugView>(fx.gateway, id, { type: 'step', mode: 'continue' });
      expect(done.paused).toBe(false);
      await command<TickResponse>(fx.gateway, id, { type: 'tick', count: 1 });
      const ticks = await ticksOf(fx, id, 2);
      expect(ticks.map((t) => [t.tick, t.runner, t.events])).toEqual([
        [1, 'runner-eb', [{ name: 'one', payload: 1, at: sent[0].at }, { name: 'two', payload: 2, at: sent[1].at }]],
        [2, 'runner-eb', [{ name: 'late', payload: 3, at: late.at }]],
      ]);
      const b = fx.runners[1];
      expect(await b.redis.hget(RedisKeys.scopeValues(`exec:${id}`), 'second')).toBe('1');
      expect(await b.redis.xlen(RedisKeys.execEvents(id))).toBe(0);

      await command<TickResponse>(fx.gateway, queuedId, { type: 'tick', count: 2 });
      const queued = await ticksOf(fx, queuedId, 2);
      expect(queued.map((t) => [t.tick, t.runner, t.events])).toEqual([
        [1, 'runner-eb', [{ name: 'stored', payload: { n: 1 }, at: accepted.at }]],
        [2, 'runner-eb', undefined],
      ]);
    });
  });
});
