import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import { FastHistogram } from './fast-histogram';

/** Upper bounds (ms) of HTTP request durations. */
const HTTP_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/**
 * A service's metrics, served as Prometheus text on `GET /metrics`: Node's own (CPU, memory, GC,
 * event-loop lag: prom-client's default metrics), HTTP request durations by route, and what the
 * service adds. Values kept as plain numbers on hot paths are read when scraped (`counter`,
 * `gauge`), so a tick pays an addition, not a metrics call; reading never resets anything, so
 * several scrapers see the same values.
 *
 * Inject it with `@Inject(METRICS) metrics: Metrics`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'canopy_http_request_duration_ms',
      help: 'HTTP requests by method, route (template) and status code, in ms.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS_MS,
      registers: [this.registry],
    });
  }

  /** A counter whose value is read from `read` at each scrape (it must only ever grow). */
  counter(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** A gauge read at each scrape; `read` may ask something (a broker) and may fail (no sample). */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        try {
          this.set(await read());
        } catch {
          // Unknown right now (the broker did not answer): say so rather than repeat a stale value.
          this.set(Number.NaN);
        }
      },
    });
  }

  /** A label-less histogram cheap enough for every tick (FastHistogram). */
  histogram(name: string, help: string, bounds: readonly number[]): FastHistogram {
    const histogram = new FastHistogram(name, help, bounds);
    this.registry.registerMetric(histogram.asMetric());
    return histogram;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Injection token of the service's Metrics. */
export const METRICS = Symbol('canopy.metrics');
