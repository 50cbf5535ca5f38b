import { histogramDelta, histogramQuantile, parseMetrics } from './index';

const page = (counts: number[], sum: number) =>
  [
    '# TYPE lag histogram',
    `lag_bucket{le="1"} ${counts[0]}`,
    `lag_bucket{le="10"} ${counts[1]}`,
    `lag_bucket{le="100"} ${counts[2]}`,
    `lag_bucket{le="+Inf"} ${counts[2]}`,
    `lag_sum ${sum}`,
    `lag_count ${counts[2]}`,
    'ticks_total 7',
  ].join('\n');

describe('Prometheus text', () => {
  it('parses samples, skipping comments', () => {
    const samples = parseMetrics(page([1, 2, 3], 12));
    expect(samples.get('ticks_total')).toBe(7);
    expect(samples.get('lag_bucket{le="10"}')).toBe(2);
    expect(samples.has('# TYPE lag histogram')).toBe(false);
  });

  it('takes a histogram`s observations between two scrapes and interpolates quantiles in buckets', () => {
    const before = parseMetrics(page([10, 10, 10], 5));
    const after = parseMetrics(page([10, 60, 110], 3005));
    const h = histogramDelta(before, after, 'lag');
    expect(h).toEqual({ bounds: [1, 10, 100], cumulative: [0, 50, 100], count: 100, sum: 3000 });
    expect(histogramQuantile(h, 0.5)).toBe(10);
    expect(histogramQuantile(h, 0.75)).toBeCloseTo(55);
    expect(histogramQuantile(histogramDelta(after, after, 'lag'), 0.5)).toBeNaN();
  });
});
