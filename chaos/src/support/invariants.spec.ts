import { auditTicks, counterProblems, formatTicks, tickProblems } from './invariants';

// The chaos suite's verdicts rest on these checks; they must catch what they claim to catch.

const counts = (entries: Array<[number, number]>) => new Map(entries);

describe('tick audits', () => {
  it('accept every tick once, and ignore ticks outside the range', () => {
    const held = counts([1, 2, 3, 4, 5, 6].map((t) => [t, 1]));
    expect(auditTicks(held, 2, 5)).toEqual({ missing: [], duplicated: [] });
    expect(
      tickProblems(
        'stream',
        'e',
        counts([
          [3, 1],
          [4, 1],
          [9, 2],
        ]),
        2,
        4,
      ),
    ).toEqual([]);
  });

  it('find gaps and duplicates, as ranges', () => {
    const held = counts([
      [1, 1],
      [2, 2],
      [5, 1],
      [6, 3],
      [9, 1],
    ]);
    expect(auditTicks(held, 0, 9)).toEqual({ missing: [3, 4, 7, 8], duplicated: [2, 6] });
    expect(tickProblems('history', 'e1', held, 0, 9)).toEqual([
      'e1: history misses 4 of ticks 1-9: 3-4, 7-8',
      'e1: history holds 2 ticks more than once: 2, 6',
    ]);
    expect(tickProblems('stream', 'e2', counts([]), 0, 3)).toEqual([
      'e2: stream misses 3 of ticks 1-3: 1-3',
    ]);
  });

  it('summarise long lists', () => {
    expect(formatTicks([1, 2, 3, 7, 9, 10])).toBe('1-3, 7, 9-10');
    expect(formatTicks([1, 3, 5, 7], 2)).toBe('1, 3, ...');
  });
});

describe(counterProblems.name, () => {
  it('accepts counters equal to the tick count', () => {
    expect(counterProblems('e', { tick: 40, counter: 40, global: 40 })).toEqual([]);
  });

  it('reports a counter or global key behind or ahead of the ticks, or missing', () => {
    expect(counterProblems('e', { tick: 40, counter: 37, global: 41 })).toEqual([
      'e: exec counter is 37 at tick 40 (-3)',
      'e: global key is 41 at tick 40 (+1)',
    ]);
    expect(counterProblems('e', { tick: 2, counter: undefined, global: 2 })).toEqual([
      'e: exec counter is (absent) at tick 2 (-2)',
    ]);
  });

  it('reports only what changed since the previous check', () => {
    const before = { tick: 40, counter: 37, global: 40 };
    expect(counterProblems('e', { tick: 90, counter: 87, global: 90 }, before)).toEqual([]);
    expect(counterProblems('e', { tick: 90, counter: 85, global: 90 }, before)).toEqual([
      'e: exec counter is 85 at tick 90 (-5, was -3)',
    ]);
  });
});
