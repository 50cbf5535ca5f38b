/** Upper bounds (ms) of the tick duration histogram: engine tick + commit + publish. */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];

/**
 * The runner's counters, rendered in the Prometheus text format on GET /metrics. Plain numbers in
 * memory: cheap enough to bump on every tick.
 */
export class RunnerMetrics {
  ticks = 0;
  commitFailures = 0;
  fencedCommits = 0;
  publishFailures = 0;
  leaseChanges = 0;
  private readonly buckets = BUCKETS_MS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;

  observeTick(durationMs: number): void {
    this.ticks++;
    this.durationSum += durationMs;
    this.durationCount++;
    BUCKETS_MS.forEach((bound, i) => {
      if (durationMs <= bound) this.buckets[i]++;
    });
  }

  render(gauges: { shards: number; executions: number; members: number; lagMs: number; slots: number }): string {
    const lines = [
      '# TYPE canopy_runner_ticks_total counter',
      `canopy_runner_ticks_total ${this.ticks}`,
      '# TYPE canopy_runner_commit_failures_total counter',
      `canopy_runner_commit_failures_total ${this.commitFailures}`,
      '# TYPE canopy_runner_fenced_commits_total counter',
      `canopy_runner_fenced_commits_total ${this.fencedCommits}`,
      '# TYPE canopy_runner_publish_failures_total counter',
      `canopy_runner_publish_failures_total ${this.publishFailures}`,
      '# TYPE canopy_runner_lease_changes_total counter',
      `canopy_runner_lease_changes_total ${this.leaseChanges}`,
      '# TYPE canopy_runner_slots_total counter',
      `canopy_runner_slots_total ${gauges.slots}`,
      '# TYPE canopy_runner_shards gauge',
      `canopy_runner_shards ${gauges.shards}`,
      '# TYPE canopy_runner_executions gauge',
      `canopy_runner_executions ${gauges.executions}`,
      '# TYPE canopy_runner_members gauge',
      `canopy_runner_members ${gauges.members}`,
      '# TYPE canopy_runner_schedule_lag_ms gauge',
      `canopy_runner_schedule_lag_ms ${gauges.lagMs}`,
      '# TYPE canopy_runner_tick_duration_ms histogram',
      ...BUCKETS_MS.map((bound, i) => `canopy_runner_tick_duration_ms_bucket{le="${bound}"} ${this.buckets[i]}`),
      `canopy_runner_tick_duration_ms_bucket{le="+Inf"} ${this.durationCount}`,
      `canopy_runner_tick_duration_ms_sum ${this.durationSum}`,
      `canopy_runner_tick_duration_ms_count ${this.durationCount}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
