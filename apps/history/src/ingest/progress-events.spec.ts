import type { EventEnvelope, Progress } from '@canopy/contracts';
import { ProgressEvents } from './progress-events';

const running = (tick: number, percent: number, elapsedMs: number): Omit<Progress, 'execId'> => ({
  tick,
  step: 'work',
  percent,
  elapsedMs,
  etaMs: Math.round(((100 - percent) * elapsedMs) / percent),
  status: 'RUNNING',
  source: 'marks',
});

describe('ProgressEvents', () => {
  let now = 0;
  let sent: EventEnvelope<'execution_progress'>[];
  let events: ProgressEvents;

  beforeEach(() => {
    now = 1_000;
    sent = [];
    events = new ProgressEvents((_id, e) => sent.push(e), {
      minIntervalMs: 1000,
      cachedExecutions: 10,
      now: () => now,
    });
  });

  it('publishes the first progress and every change at once', () => {
    events.stored('a', running(1, 10, 100));
    now += 1;
    events.stored('a', running(2, 20, 200));
    now += 1;
    events.stored('a', { ...running(3, 20, 300), status: 'FAILURE', etaMs: null });
    expect(sent.map((e) => [e.tick, e.data.percent, e.data.status])).toEqual([
      [1, 10, 'RUNNING'],
      [2, 20, 'RUNNING'],
      [3, 20, 'FAILURE'],
    ]);
    expect(sent[0]).toMatchObject({
      execId: 'a',
      type: 'execution_progress',
      seq: -1,
      at: new Date(1_000).toISOString(),
      data: { step: 'work', percent: 10, elapsedMs: 100, etaMs: 900, source: 'marks' },
    });
  });

  it('refreshes elapsed and ETA alone at most once per interval', () => {
    events.stored('a', running(1, 50, 100));
    for (let tick = 2; tick <= 10; tick++) {
      now += 300;
      events.stored('a', running(tick, 50, tick * 100));
    }
    // Sent at 1000 (tick 1), then the first tick 1000 ms or more later: 2200 (tick 5), 3400 (tick 9).
    expect(sent.map((e) => e.tick)).toEqual([1, 5, 9]);
  });

  it('keeps executions apart, and starts over for a deleted one', () => {
    events.stored('a', running(1, 50, 100));
    events.stored('b', running(1, 50, 100));
    now += 10;
    events.stored('a', running(2, 50, 200));
    events.forget('b');
    events.stored('b', running(1, 50, 100));
    expect(sent.map((e) => [e.execId, e.tick])).toEqual([
      ['a', 1],
      ['b', 1],
      ['b', 1],
    ]);
  });
});
