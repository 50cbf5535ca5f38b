import { Consumers, Streams, type TickRecordMessage } from '@canopy/contracts';
import { type FastHistogram, METRICS, type Metrics } from '@canopy/service-kit';
import { TracedNats } from '@canopy/telemetry';
import { jetstreamManager } from '@nats-io/jetstream';
import { Inject, Injectable } from '@nestjs/common';
import type { IngestOutcome } from './history-writer';

/** Upper bounds (ms) of the ingest lag: end of the tick to stored in history. */
const LAG_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/**
 * History's metrics (`GET /metrics`): records stored and duplicates skipped, how long after its
 * tick ended a record was stored, and the consumer's backlog in CANOPY_TICKS (asked of JetStream
 * at scrape time).
 */
@Injectable()
export class HistoryMetrics {
  private stored = 0;
  private duplicates = 0;
  private readonly lag: FastHistogram;

  constructor(@Inject(METRICS) metrics: Metrics, nats: TracedNats) {
    metrics.counter('canopy_history_records_total', 'Tick records stored.', () => this.stored);
    metrics.counter(
      'canopy_history_duplicates_total',
      'Tick records already stored (redelivered or republished).',
      () => this.duplicates,
    );
    this.lag = metrics.histogram(
      'canopy_history_ingest_lag_ms',
      'From the end of a tick to its record stored in history, in ms.',
      LAG_BUCKETS_MS,
    );
    metrics.gauge(
      'canopy_history_consumer_pending',
      'Tick records in CANOPY_TICKS not yet acknowledged by history (waiting or in flight).',
      async () => {
        const jsm = await jetstreamManager(nats.connection);
        const info = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
        return info.num_pending + info.num_ack_pending;
      },
    );
  }

  ingested(record: TickRecordMessage, outcome: IngestOutcome, now = Date.now()): void {
    if (outcome === 'duplicate') {
      this.duplicates++;
      return;
    }
    this.stored++;
    this.lag.observe(Math.max(0, now - (record.startedAt + record.durationMs)));
  }
}
