import { GatewayApi, parseMetrics, type Stack, waitFor } from '@canopy/testing';
import { startE2eStack } from './support/e2e-stack';
import { STEPS_TREE } from './support/trees';

/** `GET /metrics` of a service as Prometheus text, parsed. */
async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await res.text());
}

/**
 * Every service's metrics in the one format (prom-client's registry): Node's own, HTTP by route,
 * and what each service adds; the gateway's behind auth.
 */
describe('metrics on every service', () => {
  let stack: Stack;
  let api: GatewayApi;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1 });
    api = new GatewayApi(stack.gateway.url);
    await api.registerTree(STEPS_TREE);
  }, 180_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it('counts ticks on the runner and stored records on history, with its consumer backlog', async () => {
    const runner = stack.runners[0];
    const history = stack.history;
    if (!history) throw new Error('the e2e stack has a history service');
    const before = await scrape(runner.url);
    await api.createExecution({ tree: 'e2e-steps', id: 'metered-1' });
    await api.tick('metered-1', 5);
    const after = await scrape(runner.url);
    expect((after.get('canopy_runner_ticks_total') ?? 0) - (before.get('canopy_runner_ticks_total') ?? 0)).toBe(5);
    expect(after.get('canopy_runner_executions')).toBeGreaterThanOrEqual(1);
    expect(after.get('canopy_runner_shards')).toBeGreaterThan(0);
    expect(after.get('canopy_runner_tick_duration_ms_count')).toBeGreaterThanOrEqual(5);
    expect(after.get('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);

    // History stores the five records; then nothing is pending in its consumer.
    const stored = await waitFor('history stored the ticks', async () => {
      const m = await scrape(history.url);
      return (m.get('canopy_history_records_total') ?? 0) >= 5 &&
        m.get('canopy_history_consumer_pending') === 0
        ? m
        : undefined;
    });
    expect(stored.get('canopy_history_ingest_lag_ms_count')).toBeGreaterThanOrEqual(5);
    // The schedule lag gauge is not reset by a read: two scrapes in a row agree.
    const [a, b] = [await scrape(runner.url), await scrape(runner.url)];
    expect(a.get('canopy_runner_schedule_lag_ms')).toBe(b.get('canopy_runner_schedule_lag_ms'));
  });

  it('times HTTP requests by route on the blackboard and the gateway; the gateway`s needs a key', async () => {
    await api.get('/executions/metered-1');
    const unauthenticated = await fetch(`${stack.gateway.url}/metrics`);
    expect(unauthenticated.status).toBe(401);
    const gateway = await scrape(stack.gateway.url, { authorization: `Bearer ${api.key}` });
    expect(
      gateway.get('canopy_http_request_duration_ms_count{method="GET",route="/executions/:id",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(gateway.get('canopy_gateway_stream_clients')).toBe(0);
    const blackboard = await scrape(stack.blackboard.url);
    expect(blackboard.get('process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
