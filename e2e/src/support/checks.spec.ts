import type { EventEnvelope, TickRecordMessage } from '@canopy/contracts';
import { checkFeed, settledFeed } from './checks';
import type { ExecutionFeed } from './tap';
import { expectedSteps } from './trees';

// The checker is what the end-to-end tests trust; it must itself catch what it claims to catch.

const ID = 'x';

function record(tick: number): TickRecordMessage {
  return {
    ...expectedSteps(tick, Math.floor(tick / 2)),
    tick,
    startedAt: 1000 + tick,
    durationMs: 0.1,
    errors: [],
    execId: ID,
    tree: 'e2e-steps',
    version: 1,
    runner: 'r',
    epoch: 1,
    checkpoint: { v: 1, fingerprint: 'f', tick, nodes: {} },
  } as TickRecordMessage;
}

function events(r: TickRecordMessage): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  const add = (type: EventEnvelope['type'], data: unknown) =>
    out.push({ execId: ID, type, tick: r.tick, seq: out.length, at: '', data } as EventEnvelope);
  add('tick_start', { startedAt: r.startedAt });
  for (const n of r.nodes) add('node_update', { nodeId: n.id, from: n.from, to: n.to });
  for (const w of r.writes)
    add('blackboard_update', {
      key: w.key,
      scope: `exec:${ID}`,
      value: w.new,
      ...('old' in w ? { old: w.old } : {}),
    });
  for (const l of r.logs) add('log', { nodeId: l.nodeId, message: l.message, values: l.values });
  for (const p of r.progress)
    add('progress', { nodeId: p.nodeId, step: p.step, percent: p.percent });
  add('tick_complete', {
    status: r.status,
    durationMs: r.durationMs,
    changes: r.nodes.length,
    writes: r.writes.length,
  });
  return out;
}

function feedOf(records: TickRecordMessage[]): ExecutionFeed {
  return {
    ticks: records.map((data) => ({ data })),
    events: records.flatMap(events).map((data) => ({ data })),
  };
}

const check = (feed: ExecutionFeed) =>
  checkFeed(feed, { execId: ID, tree: 'e2e-steps', rootId: 'main' }).problems;

describe('checkFeed', () => {
  const good = () => [1, 2, 3, 4, 5].map(record);

  it('accepts a consistent feed, and counts an identical republished record as a replay', () => {
    expect(check(feedOf(good()))).toEqual([]);
    const feed = feedOf(good());
    feed.ticks.push({ data: record(5) });
    expect(checkFeed(feed, { execId: ID, tree: 'e2e-steps', rootId: 'main' })).toMatchObject({
      problems: [],
      replays: 1,
    });
  });

  it('finds gaps, different duplicates and records out of order', () => {
    expect(check(feedOf(good().filter((r) => r.tick !== 3)))).toEqual(
      expect.arrayContaining([expect.stringContaining('expected tick 3, found 4')]),
    );
    const dup = feedOf(good());
    dup.ticks.push({ data: { ...record(5), runner: 'other' } });
    expect(check(dup)).toContain('tick 5: two different records');
    const swapped = feedOf(good());
    [swapped.ticks[1], swapped.ticks[2]] = [swapped.ticks[2], swapped.ticks[1]];
    expect(check(swapped)).toContain('tick 2 arrived after tick 3');
  });

  it('finds writes whose old value is not what the key held, and node changes from the wrong status', () => {
    const records = good();
    records[2] = {
      ...records[2],
      writes: [{ key: 'count', scope: 'exec', old: 7, new: 2 }, records[2].writes[1]],
    };
    records[3] = { ...records[3], nodes: [{ id: 'main', from: 'IDLE', to: 'SUCCESS' }] };
    const problems = check(feedOf(records));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('tick 3: write exec/count says old 7, the key held 1'),
        expect.stringContaining('tick 4: node main changed from IDLE, but was RUNNING'),
      ]),
    );
  });

  it('finds missing, misordered and mismatched events', () => {
    const feed = feedOf(good());
    const tick2 = feed.events.filter((e) => e.data.tick === 2);
    feed.events = feed.events.filter((e) => e.data.tick !== 2 || e.data.type !== 'tick_start');
    expect(check(feed)).toEqual(
      expect.arrayContaining([expect.stringContaining('tick 2 events: first is node_update')]),
    );

    const reordered = feedOf(good());
    const i = reordered.events.findIndex(
      (e) => e.data.tick === 1 && e.data.type === 'tick_complete',
    );
    reordered.events.splice(i - 1, 2, reordered.events[i], reordered.events[i - 1]);
    expect(check(reordered).join('\n')).toMatch(
      /tick 1 events: .*last of the tick's own is progress/,
    );

    const missing = feedOf(good());
    missing.events = missing.events.filter((e) => e.data.tick !== 4);
    expect(check(missing)).toContain('tick 4 events: none');
    expect(tick2.length).toBeGreaterThan(2);
  });

  it('settledFeed keeps the ticks whose events are in, so a record still waiting for them is not a problem', () => {
    const feed = feedOf(good());
    feed.ticks.push({ data: record(6) });
    expect(check(feed)).toContain('tick 6 events: none');
    const settled = settledFeed(feed);
    expect(settled.ticks.map((t) => t.data.tick)).toEqual([1, 2, 3, 4, 5]);
    expect(check(settled)).toEqual([]);
    // A tick without events before the last settled one is still found.
    const hole = feedOf(good());
    hole.events = hole.events.filter((e) => e.data.tick !== 3);
    expect(check(settledFeed(hole))).toContain('tick 3 events: none');
  });
});
