/** Samples of a Prometheus text page: `name{labels}` -> value. */
export type MetricSamples = Map<string, number>;

export function parseMetrics(text: string): MetricSamples {
  const out: MetricSamples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** What a histogram observed between two scrapes. */
export interface HistogramDelta {
  bounds: number[];
  /** Cumulative counts per bound, over the interval. */
  cumulative: number[];
  count: number;
  sum: number;
}

/** `after - before` for a counter or gauge (0 when absent). */
export function metricDelta(before: MetricSamples, after: MetricSamples, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0);
}
const delta = metricDelta;

/** The observations of histogram `name` made between two scrapes (`before` empty: since the start). */
export function histogramDelta(
  before: MetricSamples,
  after: MetricSamples,
  name: string,
): HistogramDelta {
  const bounds: number[] = [];
  const cumulative: number[] = [];
  const bucket = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`);
  for (const key of after.keys()) {
    const match = bucket.exec(key);
    if (!match || match[1] === '+Inf') continue;
    bounds.push(Number(match[1]));
    cumulative.push(delta(before, after, key));
  }
  return {
    bounds,
    cumulative,
    count: delta(before, after, `${name}_count`),
    sum: delta(before, after, `${name}_sum`),
  };
}

/**
 * The q-quantile, interpolated linearly inside its bucket (as PromQL's histogram_quantile does);
 * NaN without observations. Beyond the last finite bound it answers that bound (a lower limit).
 */
export function histogramQuantile(h: HistogramDelta, q: number): number {
  if (h.count === 0) return Number.NaN;
  const rank = q * h.count;
  let previousBound = 0;
  let previousCount = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    if (h.cumulative[i] >= rank) {
      const inBucket = h.cumulative[i] - previousCount;
      const fraction = inBucket === 0 ? 1 : (rank - previousCount) / inBucket;
      return previousBound + (h.bounds[i] - previousBound) * fraction;
    }
    previousBound = h.bounds[i];
    previousCount = h.cumulative[i];
  }
  return h.bounds[h.bounds.length - 1];
}
