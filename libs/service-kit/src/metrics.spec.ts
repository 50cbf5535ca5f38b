import { parseMetrics } from '@canopy/testing';
import { Controller, Get, Inject, Module, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { capturingLogger } from '../test/log-capture';
import { createHttpService, type FastHistogram, METRICS, type Metrics } from './index';

/** A service's own metrics, as a runner or history registers them. */
@Controller('work')
class WorkController {
  private done = 0;
  private readonly took: FastHistogram;

  constructor(@Inject(METRICS) metrics: Metrics) {
    metrics.counter('probe_work_total', 'Work done.', () => this.done);
    metrics.gauge('probe_queue', 'Work waiting.', () => 3);
    metrics.gauge('probe_broken', 'A gauge whose source is down.', () => {
      throw new Error('broker away');
    });
    this.took = metrics.histogram('probe_work_ms', 'Work time.', [1, 10, 100]);
  }

  @Get(':ms')
  work(@Param('ms') ms: string): { ok: true } {
    this.done++;
    this.took.observe(Number(ms));
    return { ok: true };
  }
}

@Module({ controllers: [WorkController] })
class WorkModule {}

describe('metrics', () => {
  let app: NestFastifyApplication;
  const scrape = async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return { text: res.body, samples: parseMetrics(res.body) };
  };

  beforeAll(async () => {
    const { logger } = capturingLogger('probe');
    app = await createHttpService(WorkModule, { serviceName: 'probe', port: 0, logger });
  });

  afterAll(() => app.close());

  it('serves the process`s own metrics, event-loop lag included', async () => {
    const { samples } = await scrape();
    expect(samples.get('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts and times requests by route template, not by URL', async () => {
    for (const ms of ['5', '50', '500']) {
      expect((await app.inject({ method: 'GET', url: `/work/${ms}` })).statusCode).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
    const { text, samples } = await scrape();
    expect(
      samples.get('canopy_http_request_duration_ms_count{method="GET",route="/work/:ms",status="200"}'),
    ).toBe(3);
    expect(
      samples.get('canopy_http_request_duration_ms_count{method="GET",route="unmatched",status="404"}'),
    ).toBe(1);
    expect(text).not.toContain('route="/work/5"');
    expect(text).not.toContain('route="/metrics"');
  });

  it('reads counters, gauges and fast histograms at scrape time, the same for every scraper', async () => {
    const before = (await scrape()).samples.get('probe_work_total') ?? 0;
    await app.inject({ method: 'GET', url: '/work/0.5' });
    const first = await scrape();
    const second = await scrape();
    for (const { samples } of [first, second]) {
      expect(samples.get('probe_work_total')).toBe(before + 1);
      expect(samples.get('probe_queue')).toBe(3);
      expect(samples.get('probe_broken')).toBeNaN();
      // Observations so far: 5, 50, 500 (previous test) and 0.5.
      expect(samples.get('probe_work_ms_bucket{le="1"}')).toBe(1);
      expect(samples.get('probe_work_ms_bucket{le="10"}')).toBe(2);
      expect(samples.get('probe_work_ms_bucket{le="100"}')).toBe(3);
      expect(samples.get('probe_work_ms_bucket{le="+Inf"}')).toBe(4);
      expect(samples.get('probe_work_ms_count')).toBe(4);
      expect(samples.get('probe_work_ms_sum')).toBe(555.5);
    }
    expect(first.text).toContain('# TYPE probe_work_ms histogram');
    expect(first.text).toContain('# TYPE probe_work_total counter');
  });
});
