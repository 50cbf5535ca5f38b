/** Upper bounds (ms) of the tick duration histogram: engine tick + commit. */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];
/** Upper bounds (ms) of the schedule lag histogram: fine enough to read a p99 against a 20 ms goal. */
const LAG_BUCKETS_MS = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2500, 5000, 10_000];
/** Upper bounds (ms) of the per-slot commit histogram. */
const IO_BUCKETS_MS = [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 250, 500, 1000];

/** A Prometheus histogram in memory: one increment and two additions per observation. */
export class Histogram {
  private readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    private readonly name: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }

  render(): string[] {
    let cumulative = 0;
    return [
      `# TYPE ${this.name} histogram`,
      ...this.bounds.map((bound, i) => `${this.name}_bucket{le="${bound}"} ${(cumulative += this.counts[i])}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    ];
  }
}

/**
 * The runner's counters, rendered in the Prometheus text format on GET /metrics. Plain numbers in
 * memory: cheap enough to bump on every tick.
 */
export class RunnerMetrics {
  ticks = 0;
  commitFailures = 0;
  fencedCommits = 0;
  publishFailures = 0;
  /** Tick commits refused because another runner changed a semaphore meanwhile (the tick is redone). */
  semaphoreConflicts = 0;
  leaseChanges = 0;
  /** Ticks that went through a slot's commit (the denominator of per-tick I/O cost). */
  slotTicks = 0;
  private readonly duration = new Histogram('canopy_runner_tick_duration_ms', BUCKETS_MS);
  /** How late an interval tick started behind the time it was due (fixed-rate schedule). */
  readonly lag = new Histogram('canopy_runner_tick_lag_ms', LAG_BUCKETS_MS);
  /** One slot's commit: the Redis pipelines of every tick in it. */
  private readonly commit = new Histogram('canopy_runner_slot_commit_ms', IO_BUCKETS_MS);
  /** One record's delivery: from its commit to the stream's ack (resends included). */
  private readonly delivery = new Histogram('canopy_runner_delivery_ms', IO_BUCKETS_MS);

  observeTick(durationMs: number): void {
    this.ticks++;
    this.duration.observe(durationMs);
  }

  observeLag(lagMs: number): void {
    this.lag.observe(lagMs);
  }

  observeDelivery(ms: number): void {
    this.delivery.observe(ms);
  }

  observeSlot(ticks: number, commitMs: number): void {
    this.slotTicks += ticks;
    this.commit.observe(commitMs);
  }

  render(gauges: { shards: number; executions: number; members: number; lagMs: number; slots: number; backlog: number }): string {
    const lines = [
      '# TYPE canopy_runner_ticks_total counter',
      `canopy_runner_ticks_total ${this.ticks}`,
      '# TYPE canopy_runner_commit_failures_total counter',
      `canopy_runner_commit_failures_total ${this.commitFailures}`,
      '# TYPE canopy_runner_fenced_commits_total counter',
      `canopy_runner_fenced_commits_total ${this.fencedCommits}`,
      '# TYPE canopy_runner_publish_failures_total counter',
      `canopy_runner_publish_failures_total ${this.publishFailures}`,
      '# TYPE canopy_runner_semaphore_conflicts_total counter',
      `canopy_runner_semaphore_conflicts_total ${this.semaphoreConflicts}`,
      '# TYPE canopy_runner_lease_changes_total counter',
      `canopy_runner_lease_changes_total ${this.leaseChanges}`,
      '# TYPE canopy_runner_slots_total counter',
      `canopy_runner_slots_total ${gauges.slots}`,
      '# TYPE canopy_runner_slot_ticks_total counter',
      `canopy_runner_slot_ticks_total ${this.slotTicks}`,
      '# TYPE canopy_runner_shards gauge',
      `canopy_runner_shards ${gauges.shards}`,
      '# TYPE canopy_runner_executions gauge',
      `canopy_runner_executions ${gauges.executions}`,
      '# TYPE canopy_runner_members gauge',
      `canopy_runner_members ${gauges.members}`,
      '# TYPE canopy_runner_outbox_backlog gauge',
      `canopy_runner_outbox_backlog ${gauges.backlog}`,
      '# TYPE canopy_runner_schedule_lag_ms gauge',
      `canopy_runner_schedule_lag_ms ${gauges.lagMs}`,
      ...this.duration.render(),
      ...this.lag.render(),
      ...this.commit.render(),
      ...this.delivery.render(),
    ];
    return `${lines.join('\n')}\n`;
  }
}
