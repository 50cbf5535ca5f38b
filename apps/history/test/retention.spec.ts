import { RedisKeys, Subjects } from '@canopy/contracts';
import { call, consumerIdle, EngineRun, publish, startHistory, useStack, waitFor } from './harness';
import { PATROL } from './trees';

jest.setTimeout(90_000);

describe('history: retention', () => {
  const fx = useStack({ trees: [PATROL], history: false });

  afterEach(async () => {
    await fx.history?.close();
    fx.history = undefined;
  });

  const keyframeTicks = async (id: string): Promise<number[]> =>
    (await fx.redis.zrange(RedisKeys.historyKeyframeTicks(id), 0, -1)).map(Number);

  /** The rebuilt state at `tick` is the engine's (exec scope as seen through writes). */
  async function expectRebuilt(run: EngineRun, tick: number): Promise<void> {
    const state = await call(fx.stack, Subjects.historyGet, { id: run.execId, tick });
    const truth = run.states[tick];
    expect({ tick, statuses: state.statuses }).toEqual({ tick, statuses: truth.statuses });
    expect({ tick, exec: state.blackboard.exec }).toEqual({ tick, exec: truth.blackboard.exec });
    expect({ tick, team: state.blackboard.team }).toEqual({ tick, team: truth.blackboard.team });
    expect(state.checkpoint).toEqual(truth.checkpoint);
  }

  it('keeps the last HISTORY_RETAIN_TICKS ticks, the first of them rebuildable', async () => {
    fx.history = await startHistory(fx.stack, {
      HISTORY_RETAIN_TICKS: '30',
      HISTORY_KEYFRAME_EVERY: '7',
    });
    const run = new EngineRun('by-count', PATROL, { exec: { count: 5, flag: 'initial' } });
    await publish(fx.stack, run.run(100));
    await consumerIdle(fx.stack);

    const ticks = (await call(fx.stack, Subjects.historyList, { id: run.execId, limit: 1000 })).map(
      (s) => s.tick,
    );
    expect(ticks).toEqual(Array.from({ length: 30 }, (_, i) => 71 + i));
    expect(await fx.redis.hlen(RedisKeys.historyRecords(run.execId))).toBe(30);
    expect(await fx.redis.hlen(RedisKeys.historyDeltas(run.execId))).toBeLessThanOrEqual(30);
    // 71 was promoted to a keyframe; older keyframes are gone, the regular ones after it stay.
    const keyframes = await keyframeTicks(run.execId);
    expect(keyframes[0]).toBe(71);
    expect(keyframes).toEqual(expect.arrayContaining([77, 84, 91, 98]));
    expect(Math.min(...keyframes)).toBe(71);
    for (let tick = 71; tick <= 100; tick++) await expectRebuilt(run, tick);
    expect(await call(fx.stack, Subjects.historyStats, { id: run.execId })).toMatchObject({
      ticks: 30,
      totalTicks: 100,
      firstTick: 71,
      lastTick: 100,
    });
  });

  it('drops ticks older than HISTORY_RETAIN_MS, by their start time', async () => {
    fx.history = await startHistory(fx.stack, {
      HISTORY_RETAIN_MS: '60000',
      HISTORY_KEYFRAME_EVERY: '7',
    });
    const run = new EngineRun('by-age', PATROL, {
      exec: { count: 0 },
      startAt: Date.now() - 10 * 60_000,
    });
    run.run(20);
    run.clock.set(Date.now());
    run.run(10);
    await publish(fx.stack, run.messages);
    await consumerIdle(fx.stack);

    const ticks = (await call(fx.stack, Subjects.historyList, { id: run.execId })).map(
      (s) => s.tick,
    );
    expect(ticks).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    expect((await keyframeTicks(run.execId))[0]).toBe(21);
    for (let tick = 21; tick <= 30; tick++) await expectRebuilt(run, tick);
  });

  it('sweeps executions that stopped ticking once their ticks are past HISTORY_RETAIN_MS', async () => {
    fx.history = await startHistory(fx.stack, {
      HISTORY_RETAIN_MS: '60000',
      HISTORY_SWEEP_MS: '100',
    });
    // Ticks that turn 60 s old three seconds from now.
    const run = new EngineRun('quiet', PATROL, { startAt: Date.now() - 57_000, stepMs: 1 });
    await publish(fx.stack, run.run(10));
    await consumerIdle(fx.stack);
    expect(await fx.redis.hlen(RedisKeys.historyRecords(run.execId))).toBe(10);
    expect(await fx.redis.zscore(RedisKeys.historyIndex, run.execId)).not.toBeNull();

    await waitFor(
      'the sweeper to drop the expired history',
      async () => (await fx.redis.exists(RedisKeys.historyRecords(run.execId))) === 0,
      15_000,
    );
    expect(await fx.redis.keys(`canopy:hist:*{exec:${run.execId}}`)).toEqual([]);
    expect(await fx.redis.zscore(RedisKeys.historyIndex, run.execId)).toBeNull();
    await expect(call(fx.stack, Subjects.historyList, { id: run.execId })).resolves.toEqual([]);
  });

  it('rebuilds any of 1000 retained ticks quickly (keyframes every 50)', async () => {
    fx.history = await startHistory(fx.stack);
    const run = new EngineRun('long', PATROL, { exec: { count: 0 } });
    const started = performance.now();
    await publish(fx.stack, run.run(1100));
    await consumerIdle(fx.stack, 60_000);
    const ingestMs = performance.now() - started;

    expect(await fx.redis.hlen(RedisKeys.historyRecords(run.execId))).toBe(1000);
    const timings: number[] = [];
    for (const tick of [101, 149, 550, 1099, 1100]) {
      const t0 = performance.now();
      await call(fx.stack, Subjects.historyGet, { id: run.execId, tick });
      timings.push(performance.now() - t0);
      await expectRebuilt(run, tick);
    }
    // Reported in docs/history.md; the bound only catches a rebuild that replays from the start.
    console.log(
      `history: 1100 ticks published and stored in ${Math.round(ingestMs)} ms; ` +
        `rebuild of ticks 101 (999 back), 149, 550, 1099, 1100 over NATS: ${timings.map((t) => t.toFixed(1)).join(', ')} ms`,
    );
    expect(Math.max(...timings)).toBeLessThan(1000);
  });
});
