import { judge, type Sample } from './verdict';

const series = (
  process: string,
  values: number[],
  metric: 'rssMb' | 'fds' | 'lagP99Ms' = 'rssMb',
): Sample[] => values.map((v, i) => ({ t: i * 30, process, [metric]: v }));

describe(judge.name, () => {
  it('calls memory flat when the last third stays near the first, despite one spike', () => {
    const [j] = judge(series('gateway', [100, 104, 102, 103, 180, 101, 105, 104, 103]));
    expect(j).toMatchObject({
      process: 'gateway',
      metric: 'rssMb',
      first: 102,
      last: 104,
      flat: true,
    });
  });

  it('calls a steady climb a leak', () => {
    const [j] = judge(series('runner-1', [100, 120, 140, 160, 180, 200, 220, 240, 260]));
    expect(j).toMatchObject({ first: 120, last: 240, flat: false });
  });

  it('leaves the warm-up out of the first third', () => {
    const [j] = judge(
      series('runner-3', [400, 300, 100, 101, 100, 102, 103, 101, 104], 'lagP99Ms'),
      60,
    );
    expect(j).toMatchObject({ first: 100, last: 103, flat: true });
  });

  it('judges fds and lag with their own tolerances, and skips metrics a process has no samples of', () => {
    const out = judge([
      ...series('history', [40, 41, 40, 60, 70, 80], 'fds'),
      ...series('runner-2', [5, 6, 5, 9, 8, 9], 'lagP99Ms'),
    ]);
    expect(out).toEqual([
      { process: 'history', metric: 'fds', first: 40.5, last: 75, flat: false },
      { process: 'runner-2', metric: 'lagP99Ms', first: 5.5, last: 8.5, flat: true },
    ]);
  });
});
