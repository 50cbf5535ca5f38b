import { type EventEnvelope, Subjects, type TickRecordMessage } from '@canopy/contracts';
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
import { PATROL, STEPS } from './trees';

jest.setTimeout(60_000);

describe('history: stats and progress', () => {
  // Progress events only on real changes here (the elapsed-only refresh is a unit test's).
  const fx = useStack({ trees: [PATROL, STEPS], history: { HISTORY_PROGRESS_EVENT_MS: '600000' } });

  describe('on a known trace (PATROL, 20 ticks of 10 ms, tick n took n ms)', () => {
    const run = new EngineRun('stats', PATROL, { exec: { count: 0 } });
    const messages = run.run(20, (m) => (m.durationMs = m.tick));
    const successes = messages.filter((m) => m.status === 'SUCCESS').length;

    beforeAll(async () => {
      await publish(fx.stack, messages);
      await consumerIdle(fx.stack);
    });

    it('has five runs of four ticks (what the numbers below rely on)', () => {
      expect(successes).toBe(5);
      expect(messages.map((m) => m.status).slice(0, 4)).toEqual([
        'RUNNING',
        'RUNNING',
        'RUNNING',
        'SUCCESS',
      ]);
    });

    it('answers tick counts, duration percentiles and root status counts', async () => {
      await expect(call(fx.stack, Subjects.historyStats, { id: run.execId })).resolves.toEqual({
        execId: run.execId,
        ticks: 20,
        totalTicks: 20,
        firstTick: 1,
        lastTick: 20,
        durationMs: { p50: 10, p95: 19, p99: 20, mean: 10.5, max: 20 },
        statuses: { IDLE: 0, RUNNING: 15, SUCCESS: 5, FAILURE: 0 },
        success: 5,
        failure: 0,
        errors: 0,
      });
    });

    it('answers per-node visits, time, status counts and success rate (derived from status changes)', async () => {
      const reply = await call(fx.stack, Subjects.historyNodes, { id: run.execId });
      expect(reply.source).toBe('status-changes');
      expect(reply.ticks).toBe(20);
      // Every node of the tree, in depth-first order, with its type.
      expect(reply.nodes.map((n) => n.id)).toEqual(run.tree.nodes.map((n) => n.id));
      const byId = Object.fromEntries(reply.nodes.map((n) => [n.id, n]));
      // The root and the wait run for 30 ms (three ticks) in each of the five runs.
      for (const id of ['0', '0.3']) {
        expect(byId[id]).toMatchObject({
          visits: 5,
          timeMs: 150,
          statuses: { IDLE: 0, RUNNING: 5, SUCCESS: 5, FAILURE: 0 },
          successRate: 1,
        });
      }
      expect(byId['0.3'].type).toBe('wait');
      // A leaf that succeeds in every run never changes status after the first: seen once.
      expect(byId['0.0']).toMatchObject({
        type: 'set',
        visits: 1,
        timeMs: 0,
        statuses: { SUCCESS: 1 },
        successRate: 1,
      });
      // The condition fails in runs 1, 2, 4, 5 and succeeds in run 3.
      expect(byId['0.6.0.0']).toMatchObject({
        type: 'condition',
        statuses: { SUCCESS: 1, FAILURE: 2 },
        visits: 3,
      });
    });

    it('answers the timeline', async () => {
      await expect(call(fx.stack, Subjects.historyTimeline, { id: run.execId })).resolves.toEqual(
        messages.map((m) => ({
          tick: m.tick,
          startedAt: m.startedAt,
          status: m.status,
          durationMs: m.durationMs,
        })),
      );
      const window = await call(fx.stack, Subjects.historyTimeline, {
        id: run.execId,
        from: 5,
        to: 8,
      });
      expect(window.map((e) => e.tick)).toEqual([5, 6, 7, 8]);
    });

    it('counts blackboard writes per key; reads are not recorded', async () => {
      const reply = await call(fx.stack, Subjects.historyBlackboard, { id: run.execId });
      const expected = new Map<string, { writes: number; last: number }>();
      for (const m of messages) {
        for (const w of m.writes) {
          const k = `${w.scope}/${w.key}`;
          expected.set(k, { writes: (expected.get(k)?.writes ?? 0) + 1, last: m.tick });
        }
      }
      expect(reply.readsRecorded).toBe(false);
      expect(
        Object.fromEntries(
          reply.keys.map((k) => [
            `${k.scope}/${k.key}`,
            { writes: k.writes, last: k.lastWriteTick },
          ]),
        ),
      ).toEqual(Object.fromEntries(expected));
      expect(reply.keys.every((k) => k.reads === null)).toBe(true);
      expect(reply.keys.find((k) => k.key === 'count')).toMatchObject({ scope: 'exec', writes: 5 });
    });
  });

  describe('progress', () => {
    it('follows (progress ...) marks, with an ETA from the run`s observed rate', async () => {
      const run = new EngineRun('marks', PATROL, { exec: { count: 0 } });
      const fixed = (m: TickRecordMessage) => (m.durationMs = 1);
      await publish(fx.stack, run.run(4, fixed));
      await consumerIdle(fx.stack);
      // Tick 4 marked "waited" 75 then "done" 100, and the root succeeded.
      await expect(call(fx.stack, Subjects.historyProgress, { id: run.execId })).resolves.toEqual({
        execId: run.execId,
        tick: 4,
        step: 'done',
        percent: 100,
        elapsedMs: 31,
        etaMs: 0,
        status: 'SUCCESS',
        source: 'marks',
      });
      // Tick 5 starts a new run and marks 25; tick 6 does not mark: 25 % in 11 ms of clock time.
      await publish(fx.stack, run.run(2, fixed));
      await consumerIdle(fx.stack);
      const second = {
        execId: run.execId,
        tick: 6,
        step: 'counted',
        percent: 25,
        elapsedMs: 11,
        etaMs: 33,
        status: 'RUNNING',
        source: 'marks',
      };
      await expect(call(fx.stack, Subjects.historyProgress, { id: run.execId })).resolves.toEqual(
        second,
      );

      // Stored in Redis: a restarted history service answers the same, and continues from it.
      await fx.history?.close();
      fx.history = await startHistory(fx.stack);
      await expect(call(fx.stack, Subjects.historyProgress, { id: run.execId })).resolves.toEqual(
        second,
      );
      await publish(fx.stack, run.run(1, fixed));
      await consumerIdle(fx.stack);
      await expect(call(fx.stack, Subjects.historyProgress, { id: run.execId })).resolves.toEqual({
        ...second,
        tick: 7,
        elapsedMs: 21,
        etaMs: 63,
      });
    });

    it('publishes execution_progress events when percent, step or status change', async () => {
      const run = new EngineRun('pushed', PATROL, { exec: { count: 0 } });
      const received: EventEnvelope<'execution_progress'>[] = [];
      const sub = fx.stack.client.connection.subscribe(
        Subjects.event(run.execId, 'execution_progress'),
        { callback: (_e, msg) => void received.push(msg.json()) },
      );
      await fx.stack.client.connection.flush();
      const fixed = (m: TickRecordMessage) => (m.durationMs = 1);
      // Ticks 1-3: "counted" 25 while waiting; tick 4: "done" 100, SUCCESS; tick 5 starts a new
      // run at "counted" 25; tick 6 changes nothing but elapsed and ETA.
      await publish(fx.stack, run.run(6, fixed));
      await consumerIdle(fx.stack);
      await waitFor('three progress events', () => received.length >= 3);
      await fx.stack.client.connection.flush();
      sub.unsubscribe();
      expect(
        received.map((e) => [e.type, e.execId, e.tick, e.data.step, e.data.percent, e.data.status]),
      ).toEqual([
        ['execution_progress', run.execId, 1, 'counted', 25, 'RUNNING'],
        ['execution_progress', run.execId, 4, 'done', 100, 'SUCCESS'],
        ['execution_progress', run.execId, 5, 'counted', 25, 'RUNNING'],
      ]);
      expect(received[1].data).toMatchObject({ etaMs: 0, elapsedMs: 31, source: 'marks' });
    });

    it('without marks, counts the root sequence`s finished children', async () => {
      const run = new EngineRun('steps', STEPS);
      const fixed = (m: TickRecordMessage) => (m.durationMs = 1);
      await publish(fx.stack, run.run(1, fixed));
      await consumerIdle(fx.stack);
      await expect(
        call(fx.stack, Subjects.historyProgress, { id: run.execId }),
      ).resolves.toMatchObject({
        tick: 1,
        step: 'fetch',
        percent: 0,
        etaMs: null,
        source: 'sequence',
      });
      // At 40 ms "fetch" is done and "parse" starts: 25 % in 41 ms.
      await publish(fx.stack, run.run(4, fixed));
      await consumerIdle(fx.stack);
      await expect(call(fx.stack, Subjects.historyProgress, { id: run.execId })).resolves.toEqual({
        execId: run.execId,
        tick: 5,
        step: 'parse',
        percent: 25,
        elapsedMs: 41,
        etaMs: 123,
        status: 'RUNNING',
        source: 'sequence',
      });
      await publish(fx.stack, run.run(12, fixed));
      await consumerIdle(fx.stack);
      await expect(
        call(fx.stack, Subjects.historyProgress, { id: run.execId }),
      ).resolves.toMatchObject({
        tick: 17,
        step: null,
        percent: 100,
        etaMs: 0,
        status: 'SUCCESS',
      });
    });

    it('answers EXECUTION_NOT_FOUND for an execution without history', async () => {
      expect(await errorOf(fx.stack, Subjects.historyProgress, { id: 'nothing' })).toMatchObject({
        code: 'EXECUTION_NOT_FOUND',
      });
    });
  });
  describe('llm usage', () => {
    // Records as a runner sends them after llm-calls finished in ticks 2 and 4.
    const run = new EngineRun('stats-llm', PATROL, { exec: { count: 0 } });
    const usage = { provider: 'openai', model: 'small', inputTokens: 12, outputTokens: 5 };
    const messages = run.run(4, (m) => {
      if (m.tick % 2 === 0) m.llm = [{ nodeId: '0.1', ...usage }];
    });
    beforeAll(async () => {
      await publish(fx.stack, messages);
      await consumerIdle(fx.stack);
    });

    it('sums the calls and tokens of the execution in its stats', async () => {
      const stats = await call(fx.stack, Subjects.historyStats, { id: run.execId });
      expect(stats.llm).toEqual({
        calls: 2,
        inputTokens: 24,
        outputTokens: 10,
        models: [{ provider: 'openai', model: 'small', calls: 2, inputTokens: 24, outputTokens: 10 }],
      });
    });
  });
});
