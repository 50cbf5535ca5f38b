import { RedisKeys, Subjects, type TickRecordMessage } from '@canopy/contracts';
import {
  call,
  consumerIdle,
  EngineRun,
  errorOf,
  publish,
  startHistory,
  useStack,
  waitFor,
} from './harness';
import { PATROL } from './trees';

jest.setTimeout(60_000);

/** Keyframes every 7 ticks, so rebuilds apply deltas across several keyframes. */
const HISTORY_ENV = { HISTORY_KEYFRAME_EVERY: '7' };

describe('history: ingest and rebuild', () => {
  const fx = useStack({ trees: [PATROL], history: false });

  /** Tests that do not stop and start history share one. */
  const ensureHistory = async (): Promise<void> => {
    fx.history ??= await startHistory(fx.stack, HISTORY_ENV);
  };

  const stored = async (id: string): Promise<number> => fx.redis.hlen(RedisKeys.historyRecords(id));

  describe('catching up', () => {
    const run = new EngineRun('catch-up', PATROL, {
      exec: { count: 5, flag: 'initial', untouched: 1 },
    });

    it('stores every record published while it was down, exactly once', async () => {
      // The durable consumer exists once history ran; then history goes down.
      fx.history = await startHistory(fx.stack, HISTORY_ENV);
      await fx.history.close();
      fx.history = undefined;

      await publish(fx.stack, run.run(200));
      // The stream drops a republished record with the same id (a runner's outbox replay)...
      await publish(fx.stack, run.messages.slice(0, 20));
      // ...and history drops one that got past it (a replay after the stream's dedup window).
      await publish(fx.stack, run.messages.slice(50, 80), (m) => `late-${m.execId}:${m.tick}`);

      fx.history = await startHistory(fx.stack, HISTORY_ENV);
      await consumerIdle(fx.stack);
      expect(await stored(run.execId)).toBe(200);
      const summaries = await call(fx.stack, Subjects.historyList, { id: run.execId, limit: 1000 });
      expect(summaries.map((s) => s.tick)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const stats = await call(fx.stack, Subjects.historyStats, { id: run.execId });
      expect(stats).toMatchObject({ ticks: 200, totalTicks: 200, firstTick: 1, lastTick: 200 });
    });

    it('ignores duplicates that arrive while it runs', async () => {
      await publish(fx.stack, run.messages.slice(150, 200), (m) => `again-${m.execId}:${m.tick}`);
      await consumerIdle(fx.stack);
      expect(await stored(run.execId)).toBe(200);
      expect(await call(fx.stack, Subjects.historyStats, { id: run.execId })).toMatchObject({
        totalTicks: 200,
      });
    });

    it('rebuilds the state after every tick exactly as the engine had it', async () => {
      for (let tick = 1; tick <= 200; tick++) {
        const state = await call(fx.stack, Subjects.historyGet, { id: run.execId, tick });
        const truth = run.states[tick];
        expect({ tick, statuses: state.statuses }).toEqual({ tick, statuses: truth.statuses });
        expect(state.checkpoint).toEqual(truth.checkpoint);
        expect(state.status).toBe(truth.status);
        // The exec scope as seen through writes: `untouched` is never written, so history cannot know it.
        const { untouched, ...written } = truth.blackboard.exec;
        expect(untouched).toBe(1);
        expect({ tick, bb: state.blackboard.exec ?? {} }).toEqual({ tick, bb: written });
        expect({ tick, bb: state.blackboard.team ?? {} }).toEqual({
          tick,
          bb: truth.blackboard.team,
        });
        expect({ tick, bb: state.blackboard.global ?? {} }).toEqual({
          tick,
          bb: truth.blackboard.global,
        });
        expect(state.record).toEqual(JSON.parse(JSON.stringify(run.messages[tick - 1])));
        expect(state.keyframeTick).toBe(Math.max(1, tick - (tick % 7)));
      }
    });

    it('knows a key before its first write from that write`s old value', async () => {
      // `flag` starts as "initial" and is first written when the first run reaches the selector.
      const first = run.messages.find((m) =>
        m.writes.some((w) => w.key === 'flag'),
      ) as TickRecordMessage;
      expect(first.tick).toBeGreaterThan(1);
      const before = await call(fx.stack, Subjects.historyGet, { id: run.execId, tick: 1 });
      expect(before.blackboard.exec).toMatchObject({ flag: 'initial', count: 6 });
    });
  });

  describe('diff', () => {
    beforeAll(ensureHistory);

    it('lists node status and blackboard changes between two ticks', async () => {
      const run = new EngineRun('diff', PATROL, { exec: { count: 0 } });
      await publish(fx.stack, run.run(12));
      await waitFor('12 ticks', async () => (await stored(run.execId)) === 12);
      const diff = await call(fx.stack, Subjects.historyDiff, { id: run.execId, from: 2, to: 9 });
      const [a, b] = [run.states[2], run.states[9]];
      const expectedNodes = Object.keys(b.statuses)
        .filter((id) => a.statuses[id] !== b.statuses[id])
        .map((id) => ({ id, from: a.statuses[id], to: b.statuses[id] }));
      expect(diff.nodes).toEqual(expectedNodes);
      expect(diff.nodes.length).toBeGreaterThan(0);
      const changed = (scope: 'exec' | 'team' | 'global') =>
        Object.keys({ ...a.blackboard[scope], ...b.blackboard[scope] })
          .filter(
            (k) =>
              JSON.stringify(a.blackboard[scope][k]) !== JSON.stringify(b.blackboard[scope][k]),
          )
          .sort()
          .map((key) => ({
            scope,
            key,
            ...(key in a.blackboard[scope] ? { from: a.blackboard[scope][key] } : {}),
            ...(key in b.blackboard[scope] ? { to: b.blackboard[scope][key] } : {}),
          }));
      expect(diff.blackboard).toEqual([
        ...changed('exec'),
        ...changed('global'),
        ...changed('team'),
      ]);
      expect(diff.blackboard).toContainEqual({ scope: 'exec', key: 'count', from: 1, to: 3 });

      const none = await call(fx.stack, Subjects.historyDiff, { id: run.execId, from: 5, to: 5 });
      expect(none).toMatchObject({ nodes: [], blackboard: [] });
    });
  });

  describe('errors', () => {
    beforeAll(ensureHistory);

    it('answers a tick it does not hold with TICK_NOT_FOUND and the retained range', async () => {
      const run = new EngineRun('errors', PATROL);
      await publish(fx.stack, run.run(3));
      await waitFor('3 ticks', async () => (await stored(run.execId)) === 3);
      expect(
        await errorOf(fx.stack, Subjects.historyGet, { id: run.execId, tick: 9 }),
      ).toMatchObject({
        code: 'TICK_NOT_FOUND',
        details: { firstTick: 1, lastTick: 3 },
      });
      expect(
        await errorOf(fx.stack, Subjects.historyGet, { id: 'never-ran', tick: 1 }),
      ).toMatchObject({
        code: 'TICK_NOT_FOUND',
      });
      expect(await errorOf(fx.stack, Subjects.historyStats, { id: 'never-ran' })).toMatchObject({
        code: 'EXECUTION_NOT_FOUND',
      });
      await expect(call(fx.stack, Subjects.historyList, { id: 'never-ran' })).resolves.toEqual([]);
      const bad = await errorOf(fx.stack, Subjects.historyGet, { id: 'a b', tick: 0 });
      expect(bad.code).toBe('VALIDATION_FAILED');
    });

    it('drops a malformed record and keeps consuming', async () => {
      await fx.stack.client.jsPublish(
        Subjects.ticks('broken'),
        { execId: 'broken', tick: 'one' },
        {
          msgID: 'broken:1',
        },
      );
      const run = new EngineRun('after-broken', PATROL);
      await publish(fx.stack, run.run(2));
      await consumerIdle(fx.stack);
      expect(await stored('broken')).toBe(0);
      expect(await stored(run.execId)).toBe(2);
    });

    it('deletes an execution`s history', async () => {
      const run = new EngineRun('to-delete', PATROL);
      await publish(fx.stack, run.run(10));
      await waitFor('10 ticks', async () => (await stored(run.execId)) === 10);
      await expect(call(fx.stack, Subjects.historyDelete, { id: run.execId })).resolves.toEqual({
        deleted: true,
        ticks: 10,
      });
      expect(await fx.redis.keys(`canopy:hist:*{exec:${run.execId}}`)).toEqual([]);
      await expect(call(fx.stack, Subjects.historyList, { id: run.execId })).resolves.toEqual([]);

      // Ticks after the delete start a new history, rebuildable from its first tick.
      await publish(fx.stack, run.run(3));
      await waitFor('3 new ticks', async () => (await stored(run.execId)) === 3);
      const state = await call(fx.stack, Subjects.historyGet, { id: run.execId, tick: 11 });
      expect(state.statuses).toEqual(run.states[11].statuses);
      expect(state.keyframeTick).toBe(11);
    });

    it('fences incarnations: a newer execution under the same id replaces the old history, an older one is dropped', async () => {
      const old = '2026-01-01T00:00:00.000Z';
      const young = '2026-01-01T00:00:05.000Z';
      const first = new EngineRun('reborn', PATROL);
      const incarnation = (createdAt: string) => (m: TickRecordMessage) => ({ ...m, createdAt });
      const byIncarnation = (m: TickRecordMessage) => `${m.execId}:${Date.parse(m.createdAt ?? '')}:${m.tick}`;
      await publish(fx.stack, first.run(8).map(incarnation(old)), byIncarnation);
      await waitFor('8 ticks', async () => (await stored('reborn')) === 8);

      // Deleted and created again: history was not told, its first record arrives.
      const second = new EngineRun('reborn', PATROL);
      await publish(fx.stack, second.run(3).map(incarnation(young)), byIncarnation);
      await waitFor('the new incarnation alone', async () => (await stored('reborn')) === 3);
      const list = await call(fx.stack, Subjects.historyList, { id: 'reborn', limit: 100 });
      expect(list.map((s) => s.tick)).toEqual([1, 2, 3]);
      expect((await call(fx.stack, Subjects.historyGet, { id: 'reborn', tick: 3 })).statuses).toEqual(second.states[3].statuses);

      // A late record of the old incarnation is acknowledged and not stored.
      await publish(fx.stack, first.run(1).map(incarnation(old)), byIncarnation);
      await consumerIdle(fx.stack);
      expect((await call(fx.stack, Subjects.historyList, { id: 'reborn', limit: 100 })).map((s) => s.tick)).toEqual([1, 2, 3]);
    });
  });
});
