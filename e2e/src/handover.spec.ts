import type { TickRecordMessage } from '@canopy/contracts';
import { describeExit, GatewayApi, type Stack, waitForShards } from '@canopy/testing';
import { checkFeed, settledFeed } from './support/checks';
import { runnerId, startE2eStack } from './support/e2e-stack';
import { lastTick, NatsTap, storedTicks } from './support/tap';
import { STEPS_TREE } from './support/trees';

const SHARDS = 64;
const INTERVAL_MS = 100;

/**
 * Two tick-runner processes split the executions (by shard); when one gets SIGTERM, the other
 * takes its shards and continues each execution from its last committed checkpoint.
 */
describe('two runners', () => {
  let stack: Stack;
  let api: GatewayApi;
  let tap: NatsTap;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 2 });
    api = new GatewayApi(stack.gateway.url);
    tap = await NatsTap.connect(stack.infra.nats.url);
    await api.registerTree(STEPS_TREE);
  }, 180_000);

  afterAll(async () => {
    await tap?.close();
    await stack?.dispose();
  }, 60_000);

  /** Until the runners at these indexes hold every shard between them, each its own. */
  const untilShardsSettled = (alive: number[]) =>
    waitForShards(
      alive.map((i) => stack.runners[i]),
      SHARDS,
    );

  it('split the executions, and the survivor continues those of a runner that got SIGTERM', async () => {
    await untilShardsSettled([0, 1]);

    // Interval executions, created until each runner owns at least three (ids hash onto shards).
    const owners = new Map<string, string>();
    const count = (runner: string) => [...owners.values()].filter((o) => o === runner).length;
    for (
      let i = 0;
      i < 60 && (owners.size < 16 || count(runnerId(1)) < 3 || count(runnerId(2)) < 3);
      i++
    ) {
      const id = `handover-${i}`;
      await tap.watch(id);
      await api.createExecution({
        tree: 'e2e-steps',
        id,
        mode: 'interval',
        intervalMs: INTERVAL_MS,
      });
      owners.set(id, (await api.execution(id)).owner ?? '(none)');
    }
    expect(count(runnerId(1))).toBeGreaterThanOrEqual(3);
    expect(count(runnerId(2))).toBeGreaterThanOrEqual(3);
    expect(count(runnerId(1)) + count(runnerId(2))).toBe(owners.size);
    const ids = [...owners.keys()];

    // Every execution ticks, on the runner that owns it.
    await Promise.all(ids.map((id) => tap.untilTick(id, 4, 60_000)));
    for (const id of ids) {
      const ticks = tap.feed(id).ticks.map((t) => t.data);
      expect({ id, runners: [...new Set(ticks.map((t) => t.runner))] }).toEqual({
        id,
        runners: [owners.get(id)],
      });
    }

    // SIGTERM to runner 1: it hands its shards over and exits cleanly (Nest re-raises the signal
    // once the app has closed, so the exit is by SIGTERM; a SIGKILL would mean it hung).
    const ticksBeforeStop = new Map(ids.map((id) => [id, lastTick(tap.feed(id))]));
    const leaving = stack.runners[0];
    const exit = await leaving.stop('SIGTERM');
    expect([
      describeExit({ code: 0, signal: null }),
      describeExit({ code: null, signal: 'SIGTERM' }),
    ]).toContain(describeExit(exit));
    expect(leaving.log()).toContain('"msg":"runner stopped"');
    await untilShardsSettled([1]);

    const moved = ids.filter((id) => owners.get(id) === runnerId(1));
    const stayed = ids.filter((id) => owners.get(id) === runnerId(2));
    // Each moved execution ticks at least three more times, now on runner 2.
    await Promise.all(
      moved.map((id) =>
        tap.until(
          `${id} ticking on ${runnerId(2)}`,
          () => tap.feed(id).ticks.filter((t) => t.data.runner === runnerId(2)).length >= 3,
          60_000,
        ),
      ),
    );
    await Promise.all(stayed.map((id) => tap.untilTick(id, lastTick(tap.feed(id)) + 3, 60_000)));

    for (const id of ids) {
      const feed = settledFeed(tap.feed(id));
      const report = checkFeed(feed, { execId: id, tree: 'e2e-steps', rootId: 'main' });
      expect({ id, problems: report.problems }).toEqual({ id, problems: [] });
      const runners = report.records.map((r) => r.runner);
      if (owners.get(id) === runnerId(1)) {
        // Runner 1 up to the handover, runner 2 from there on: one switch, no gap, no repeat.
        const switchAt = runners.indexOf(runnerId(2));
        expect(switchAt).toBeGreaterThan(0);
        expect(runners.slice(0, switchAt).every((r) => r === runnerId(1))).toBe(true);
        expect(runners.slice(switchAt).every((r) => r === runnerId(2))).toBe(true);
        expect(switchAt).toBeGreaterThanOrEqual(ticksBeforeStop.get(id) ?? 0);
        // Continuing from the checkpoint: the first tick on runner 2 follows the last committed one.
        const first = report.records[switchAt];
        expect(first.checkpoint.tick).toBe(report.records[switchAt - 1].tick + 1);
        expect(first.epoch).toBeGreaterThan(report.records[switchAt - 1].epoch);
        // A core subscriber may get the last record of runner 1 a second time (runner 2 republishes
        // its outbox on takeover; only the stream deduplicates), identical, never a different one.
        expect(report.replays).toBeLessThanOrEqual(1);
      } else {
        expect(new Set(runners)).toEqual(new Set([runnerId(2)]));
        expect(report.replays).toBe(0);
      }
      // The durable stream holds every tick exactly once, in order (replays deduplicated).
      const stored = await storedTicks(tap.nc, id);
      const storedTickNumbers = stored.map((r: TickRecordMessage) => r.tick);
      expect(storedTickNumbers).toEqual(
        [...Array(storedTickNumbers.length).keys()].map((i) => i + 1),
      );
      const common = Math.min(stored.length, report.records.length);
      expect(stored.slice(0, common)).toEqual(report.records.slice(0, common));
    }

    for (const id of moved)
      expect(await api.execution(id)).toMatchObject({ owner: runnerId(2), state: 'running' });
  }, 240_000);
});
