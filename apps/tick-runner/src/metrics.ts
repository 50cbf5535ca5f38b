import type { FastHistogram, Metrics } from '@canopy/service-kit';

/** Upper bounds (ms) of the tick duration histogram: engine tick + commit. */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];
/** Upper bounds (ms) of the schedule lag histogram: fine enough to read a p99 against a 10 ms goal. */
const LAG_BUCKETS_MS = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2500, 5000, 10_000];
/** Upper bounds (ms) of the per-slot commit and per-record delivery histograms. */
const IO_BUCKETS_MS = [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 250, 500, 1000];

/** What only the runner knows at scrape time. */
export interface RunnerGauges {
  shards: number;
  executions: number;
  members: number;
  /** Worst schedule lag over the last 10 s (never reset by a read). */
  lagMs: number;
  slots: number;
  backlog: number;
}

/**
 * The runner's metrics in the service's registry (`GET /metrics`, service-kit). Counters are plain
 * numbers bumped on the tick path and read at scrape time; histograms are FastHistograms: a tick
 * pays a few additions and no allocation.
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
  private readonly duration: FastHistogram;
  /** How late an interval tick started behind the time it was due (fixed-rate schedule). */
  private readonly lag: FastHistogram;
  /** One slot's commit: the Redis pipelines of every tick in it. */
  private readonly commit: FastHistogram;
  /** One record's delivery: from its commit to the stream's ack (resends included). */
  private readonly delivery: FastHistogram;

  constructor(metrics: Metrics, gauges: () => RunnerGauges) {
    const counter = (name: string, help: string, read: () => number) =>
      metrics.counter(`canopy_runner_${name}_total`, help, read);
    counter('ticks', 'Ticks committed.', () => this.ticks);
    counter('commit_failures', 'Tick commits that failed (Redis).', () => this.commitFailures);
    counter('fenced_commits', 'Commits refused by the fence (another owner).', () => this.fencedCommits);
    counter('publish_failures', 'Record deliveries that failed and were retried.', () => this.publishFailures);
    counter('semaphore_conflicts', 'Commits redone after a semaphore changed.', () => this.semaphoreConflicts);
    counter('lease_changes', 'Shard leases taken or lost.', () => this.leaseChanges);
    counter('slots', 'Scheduler slots run.', () => gauges().slots);
    counter('slot_ticks', 'Ticks committed through a slot.', () => this.slotTicks);
    const gauge = (name: string, help: string, read: () => number) =>
      metrics.gauge(`canopy_runner_${name}`, help, read);
    gauge('shards', 'Shards this runner owns.', () => gauges().shards);
    gauge('executions', 'Executions loaded on this runner.', () => gauges().executions);
    gauge('members', 'Live runners this runner sees.', () => gauges().members);
    gauge('outbox_backlog', 'Committed records not yet acknowledged by the stream.', () => gauges().backlog);
    gauge('schedule_lag_ms', 'Worst schedule lag over the last 10 s, in ms.', () => gauges().lagMs);
    this.duration = metrics.histogram('canopy_runner_tick_duration_ms', 'Engine tick plus commit, in ms.', BUCKETS_MS);
    this.lag = metrics.histogram('canopy_runner_tick_lag_ms', 'Interval tick start behind its due time, in ms.', LAG_BUCKETS_MS);
    this.commit = metrics.histogram('canopy_runner_slot_commit_ms', 'One slot`s Redis commit, in ms.', IO_BUCKETS_MS);
    this.delivery = metrics.histogram('canopy_runner_delivery_ms', 'Commit to stream ack of one record, in ms.', IO_BUCKETS_MS);
  }

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
}
