/** One sample of one process. */
export interface Sample {
  /** Seconds since the load started. */
  t: number;
  process: string;
  pid?: number;
  rssMb?: number;
  fds?: number;
  /** Runners: interval tick lag over the sample's window (canopy_runner_tick_lag_ms). */
  lagP50Ms?: number;
  lagP99Ms?: number;
  ticksPerSec?: number;
  /** history: records not yet acknowledged by its consumer. */
  backlog?: number;
  /** A fault happened in this sample's window. */
  fault?: string;
}

export type Metric = 'rssMb' | 'fds' | 'lagP99Ms' | 'backlog';

/** How much a metric may grow from the first third to the last and still be flat. */
export const TOLERANCE: Record<Metric, { factor: number; plus: number }> = {
  // The V8 heap settles after warm-up; a leak keeps growing.
  rssMb: { factor: 1.25, plus: 20 },
  fds: { factor: 1, plus: 10 },
  lagP99Ms: { factor: 1.5, plus: 10 },
  backlog: { factor: 1.5, plus: 500 },
};

export interface Judgement {
  process: string;
  metric: Metric;
  /** Medians of the first and the last third of the run. */
  first: number;
  last: number;
  flat: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Compares, per process and metric, the median of the first third of the run with the median of
 * the last third (medians: a fault's spike in one sample does not decide). Flat means the last is
 * at most `first * factor + plus`. Samples before `warmupS` (executions being created, caches
 * filling) are left out of the first third.
 */
export function judge(samples: Sample[], warmupS = 0): Judgement[] {
  const end = Math.max(0, ...samples.map((s) => s.t));
  const out: Judgement[] = [];
  for (const process of [...new Set(samples.map((s) => s.process))]) {
    for (const metric of Object.keys(TOLERANCE) as Metric[]) {
      const values = (from: number, to: number) =>
        samples
          .filter((s) => s.process === process && s.t >= from && s.t <= to)
          .map((s) => s[metric])
          .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const first = values(Math.min(warmupS, end / 6), end / 3);
      const last = values((2 * end) / 3, end);
      if (first.length === 0 || last.length === 0) continue;
      const { factor, plus } = TOLERANCE[metric];
      const [a, b] = [median(first), median(last)];
      out.push({ process, metric, first: a, last: b, flat: b <= a * factor + plus });
    }
  }
  return out;
}
