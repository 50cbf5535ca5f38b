import { type ServiceProcess, startService } from '@canopy/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createTestGateway,
  type Harness,
  SERVICE_LOG_LEVEL,
  startHarness,
} from './gateway-harness';
import { type RunnerProcess, startRunner } from './runner-process';

type InjectOptions = Parameters<NestFastifyApplication['inject']>[0];

const SOURCE = `(tree "steps"
  (sequence
    (set "n" (+ (get "n" 0) 1))
    (progress "counted" 50)
    (set "team:seen" $n)
    (progress "done" 100)))
`;

describe('history routes, served by the real history service', () => {
  let harness: Harness;
  let runner: RunnerProcess;
  /** The real history service, as its own process. */
  let history: ServiceProcess;

  beforeAll(async () => {
    harness = await startHarness({ RETRY_AFTER_SECONDS: '3' });
    const urls = { nats: harness.nats.url, redis: harness.redis.url };
    runner = await startRunner(urls);
    history = await startService('history', {
      env: { NATS_URL: urls.nats, REDIS_URL: urls.redis, LOG_LEVEL: SERVICE_LOG_LEVEL },
    });
  }, 120_000);

  afterAll(async () => {
    await history?.dispose();
    await runner?.stop();
    await harness?.dispose();
  }, 60_000);

  const request = async (opts: InjectOptions) => {
    const res = await harness.gateway.inject(opts);
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body ? res.json() : undefined,
    };
  };
  const get = (url: string) => request({ method: 'GET', url });
  const post = (url: string, payload: unknown) =>
    request({
      method: 'POST',
      url,
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });

  /** Polls until the history holds `count` ticks of `id` (the consumer is asynchronous). */
  async function historyOf(id: string, count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { body } = await get(`/executions/${id}/history?limit=1000`);
      if (Array.isArray(body) && body.length === count) return;
      if (Date.now() > deadline) throw new Error(`history of ${id} never reached ${count} ticks`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('lists, rebuilds, diffs, aggregates and forks an execution`s ticks', async () => {
    expect((await post('/trees', { source: SOURCE })).status).toBe(201);
    expect(
      (await post('/executions', { tree: 'steps', id: 'h1', blackboard: { n: 0 } })).status,
    ).toBe(201);
    expect(await post('/executions/h1/tick', { count: 6 })).toMatchObject({
      status: 200,
      body: { tick: 6 },
    });
    await historyOf('h1', 6);

    const window = await get('/executions/h1/history?from=2&to=4');
    expect(window.status).toBe(200);
    expect(window.body.map((s: { tick: number }) => s.tick)).toEqual([2, 3, 4]);
    expect(window.body[0]).toMatchObject({ tick: 2, status: 'SUCCESS', counts: { writes: 2 } });

    const state = await get('/executions/h1/history/3');
    expect(state).toMatchObject({
      status: 200,
      body: {
        execId: 'h1',
        tick: 3,
        tree: 'steps',
        version: 1,
        status: 'SUCCESS',
        statuses: { '0': 'SUCCESS', '0.0': 'SUCCESS', '0.3': 'SUCCESS' },
        blackboard: { exec: { n: 3 }, team: { seen: 3 } },
        checkpoint: { v: 1, tick: 3 },
        record: { execId: 'h1', tick: 3 },
      },
    });

    expect(await get('/executions/h1/history/diff?from=1&to=4')).toMatchObject({
      status: 200,
      body: {
        from: 1,
        to: 4,
        nodes: [],
        blackboard: [
          { scope: 'exec', key: 'n', from: 1, to: 4 },
          { scope: 'team', key: 'seen', from: 1, to: 4 },
        ],
      },
    });
    expect(await get('/executions/h1/stats')).toMatchObject({
      status: 200,
      body: { ticks: 6, totalTicks: 6, success: 6, failure: 0, statuses: { SUCCESS: 6 } },
    });
    const nodes = await get('/executions/h1/stats/nodes');
    expect(nodes.status).toBe(200);
    expect(nodes.body.nodes.map((n: { id: string }) => n.id)).toEqual([
      '0',
      '0.0',
      '0.1',
      '0.2',
      '0.3',
    ]);
    const timeline = await get('/executions/h1/stats/timeline?from=5');
    expect(timeline.body.map((e: { tick: number }) => e.tick)).toEqual([5, 6]);
    expect(await get('/executions/h1/stats/blackboard')).toMatchObject({
      status: 200,
      body: {
        readsRecorded: false,
        keys: [
          { scope: 'exec', key: 'n', writes: 6, reads: null },
          { scope: 'team', key: 'seen', writes: 6 },
        ],
      },
    });
    expect(await get('/executions/h1/progress')).toMatchObject({
      status: 200,
      body: {
        execId: 'h1',
        tick: 6,
        step: 'done',
        percent: 100,
        etaMs: 0,
        status: 'SUCCESS',
        source: 'marks',
      },
    });

    const fork = await post('/executions/h1/fork', { fromTick: 4, id: 'h1-fork' });
    expect(fork).toMatchObject({ status: 201, body: { id: 'h1-fork', tree: 'steps', tick: 4 } });
    expect(await post('/executions/h1-fork/tick', {})).toMatchObject({
      status: 200,
      body: { tick: 5 },
    });
    await historyOf('h1-fork', 1);
    expect(await get('/executions/h1-fork/history/5')).toMatchObject({
      body: { blackboard: { exec: { n: 5 } } },
    });
  });

  it('answers the same progress after a gateway restart (it is stored, not held by the gateway)', async () => {
    const before = await get('/executions/h1/progress');
    expect(before).toMatchObject({
      status: 200,
      body: { execId: 'h1', step: 'done', percent: 100 },
    });
    await harness.gateway.close();
    harness.gateway = await createTestGateway(
      {
        NATS_URL: harness.nats.url,
        REDIS_URL: harness.redis.url,
        RETRY_AFTER_SECONDS: '3',
      },
      'gateway-restarted',
    );
    const after = await get('/executions/h1/progress');
    expect(after.status).toBe(200);
    // elapsedMs is measured against the clock of the last tick, so nothing moves while idle.
    expect(after.body).toEqual(before.body);
  });

  it('maps errors: 404 for ticks and histories it does not hold, 400 for bad input', async () => {
    expect(await get('/executions/h1/history/99')).toMatchObject({
      status: 404,
      body: { error: { code: 'TICK_NOT_FOUND', details: { firstTick: 1, lastTick: 6 } } },
    });
    expect(await get('/executions/nobody/stats')).toMatchObject({
      status: 404,
      body: { error: { code: 'EXECUTION_NOT_FOUND' } },
    });
    const bad = await get('/executions/h1/history/zero');
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', fields: [{ field: 'tick' }] } },
    });
    const noRange = await get('/executions/h1/history/diff?from=2');
    expect(noRange.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['to']);
    expect(await post('/executions/h1/fork', { fromTick: 0 })).toMatchObject({
      status: 400,
      body: { error: { fields: [{ field: 'fromTick' }] } },
    });
    expect(await post('/executions/h1/fork', { fromTick: 2, id: 'h1-fork' })).toMatchObject({
      status: 409,
      body: { error: { code: 'EXECUTION_EXISTS' } },
    });
  });

  it('deletes a history', async () => {
    expect(await request({ method: 'DELETE', url: '/executions/h1/history' })).toMatchObject({
      status: 200,
      body: { deleted: true, ticks: 6 },
    });
    expect((await get('/executions/h1/history')).body).toEqual([]);
    expect((await get('/executions/h1/stats')).status).toBe(404);
  });

  it('answers 503 with Retry-After while no history service runs', async () => {
    await history.stop();
    const res = await get('/executions/h1-fork/progress');
    expect(res).toMatchObject({ status: 503, body: { error: { code: 'DEPENDENCY_UNAVAILABLE' } } });
    expect(res.headers['retry-after']).toBe('3');
  });
});
