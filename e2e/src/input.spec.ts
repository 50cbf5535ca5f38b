import type { DebugView, ErrorBody, EventEnvelope, Execution, TickResponse } from '@canopy/contracts';
import { authHeaders, GatewayApi, pollUntil, type Stack } from '@canopy/testing';
import { WebSocket } from 'ws';
import { startE2eStack } from './support/e2e-stack';

/**
 * Issue 10, "Data lost or wrong" and the error shapes: each case as a newcomer met it, against the
 * whole stack as processes.
 */

type Progress = { tick: number };
type Stats = { ticks: number; totalTicks: number; firstTick: number; lastTick: number };
type Summary = { tick: number };
type Entry = { key: string; value: unknown };

const COUNTER = '(tree "input-counter" (sequence (set "n" (+ (get "n" 0) 1)) (running)))';

describe('issue 10: bad input answered well, no data lost', () => {
  let stack: Stack;
  let api: GatewayApi;

  beforeAll(async () => {
    stack = await startE2eStack({ label: 'input' });
    api = new GatewayApi(stack.gateway.url, 120_000);
    await api.registerTree(COUNTER);
  }, 180_000);

  afterAll(() => stack?.dispose(), 60_000);

  const expectError = (res: { status: number; body: unknown }, status: number, code: string) => {
    expect({ status: res.status, code: (res.body as ErrorBody)?.error?.code }).toEqual({ status, code });
  };

  /** History has stored `tick` of `id` (it consumes the stream asynchronously). */
  const historyHas = (id: string, tick: number) =>
    pollUntil(`history of ${id} at tick ${tick}`, async () => (await api.get(`/executions/${id}/history/${tick}`)).status === 200, {
      timeoutMs: 20_000,
    });

  describe('delete, then create again under the same id', () => {
    it('the new execution has only its own history, progress and stats', async () => {
      await api.createExecution({ id: 'again', tree: 'input-counter' });
      await api.tick('again', 20);
      await historyHas('again', 20);
      expect(await api.ok(api.delete('/executions/again'))).toEqual({ deleted: true });

      await api.createExecution({ id: 'again', tree: 'input-counter' });
      await api.tick('again', 4);
      await historyHas('again', 4);
      const list = await api.ok(api.get<Summary[]>('/executions/again/history?limit=100'));
      expect(list.map((s) => s.tick)).toEqual([1, 2, 3, 4]);
      const stats = await api.ok(api.get<Stats>('/executions/again/stats'));
      expect(stats).toMatchObject({ ticks: 4, totalTicks: 4, firstTick: 1, lastTick: 4 });
      expect((await api.ok(api.get<Progress>('/executions/again/progress'))).tick).toBe(4);
      // Its tick 1 is its own: the counter started from nothing, not from the old execution's.
      const first = await api.ok(api.get<{ record: { writes: unknown[] } }>('/executions/again/history/1'));
      expect(first.record.writes).toEqual([{ key: 'n', scope: 'exec', new: 1 }]);
    });

    it('deletes the history with the execution', async () => {
      await api.createExecution({ id: 'gone', tree: 'input-counter' });
      await api.tick('gone', 3);
      await historyHas('gone', 3);
      await api.ok(api.delete('/executions/gone'));
      expect((await api.get('/executions/gone/history/3')).status).toBe(404);
    });
  });

  it('of 10 concurrent DELETEs of one execution, exactly one deletes it; the others are 404', async () => {
    await api.createExecution({ id: 'contended', tree: 'input-counter' });
    const replies = await Promise.all(Array.from({ length: 10 }, () => api.delete('/executions/contended')));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array.from({ length: 9 }, () => 404)]);
    expect(replies.find((r) => r.status === 200)?.body).toEqual({ deleted: true });
  });

  describe('blackboard keys no tree can address are refused with one rule everywhere', () => {
    it.each([
      ['__proto__'],
      ['m/__proto__/x'],
      ['a//b'],
      ['../../x'],
    ])('a tree writing %j does not compile', async (key) => {
      const res = await api.post('/trees', { source: `(tree "bad-key" (set ${JSON.stringify(key)} 1))` });
      expectError(res, 400, 'COMPILE_FAILED');
      expect((res.body as ErrorBody).error.message).toContain('no tree can address it');
    });

    it.each([['a//b'], ['global:x'], ['..'], ['tab\u0007']])(
      'an initial blackboard with %j is 400 VALIDATION_FAILED naming the key',
      async (key) => {
        const res = await api.request('POST', '/executions', undefined, `{"tree":"input-counter","blackboard":{${JSON.stringify(key)}:1}}`);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect((res.body as ErrorBody).error.message).toMatch(/blackboard key/);
      },
    );

    it('an initial blackboard with "__proto__" is 400 FORBIDDEN_KEY (as any JSON body with one)', async () => {
      const res = await api.request('POST', '/executions', undefined, '{"tree":"input-counter","blackboard":{"__proto__":1}}');
      expectError(res, 400, 'FORBIDDEN_KEY');
      expect((res.body as ErrorBody).error).toMatchObject({ details: { path: 'blackboard.__proto__' } });
    });

    it.each([['a%2F%2Fb'], ['..%2F..%2Fx'], ['__proto__'], ['%01x']])('PUT of key %s is 400', async (key) => {
      expectError(await api.put(`/blackboard/global/keys/${key}`, { value: 1 }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('every refusal in the one error shape', () => {
    it.each([
      ['a 100,000-character key', 'GET', `/blackboard/global/keys/${'k'.repeat(100_000)}`, 431, 'HEADERS_TOO_LARGE'],
      ['an undecodable URL', 'GET', '/executions/%', 400, 'VALIDATION_FAILED'],
      ['an unknown HTTP method', 'PROPFIND', '/executions', 404, 'NOT_FOUND'],
    ])('%s', async (_what, method, path, status, code) => {
      expectError(await api.request(method, path), status, code);
    });

    it('a tree definition 10,000 inverts deep is 400 NESTING_TOO_DEEP, not a stack overflow', async () => {
      const deep = `${'{"type":"invert","children":['.repeat(10_000)}{"type":"success"}${']}'.repeat(10_000)}`;
      const body = `{"definition":{"format":"canopy/1","trees":[{"name":"deep","root":${deep}}]}}`;
      expectError(await api.request('POST', '/trees', undefined, body), 400, 'NESTING_TOO_DEEP');
    });

    it('a form-encoded body is 415, not read as fields', async () => {
      const res = await fetch(`${stack.gateway.url}/trees`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'source=(tree "form" (success))',
      });
      expectError({ status: res.status, body: await res.json() }, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect((await api.get('/trees/form')).status).toBe(404);
    });

    it('serves /docs with and without a trailing slash', async () => {
      for (const path of ['/docs', '/docs/']) {
        const res = await fetch(`${stack.gateway.url}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect(await res.text()).toContain('swagger-ui');
      }
    });
  });

  it('a fork keeps the blackboard the execution was created with', async () => {
    await api.createExecution({ id: 'forked-from', tree: 'input-counter', blackboard: { robot: { x: 1 }, n: 10 } });
    await api.tick('forked-from', 2);
    await historyHas('forked-from', 2);
    await api.ok(api.post('/executions/forked-from/fork', { fromTick: 1, id: 'forked' }), 201);
    const entries = await api.ok(api.get<Entry[]>('/blackboard/exec:forked'));
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual({ robot: { x: 1 }, n: 11 });
  });

  describe('what cannot be read back is refused where it enters', () => {
    it('a tick whose record would be over NATS max_payload is 413 and not committed', async () => {
      const big = 'x'.repeat(600_000);
      await api.registerTree('(tree "input-copier" (sequence (set "c1" $big1) (set "c2" $big2)))');
      await api.ok(api.put('/blackboard/exec:copier/keys/big1', { value: big }));
      await api.ok(api.put('/blackboard/exec:copier/keys/big2', { value: big }));
      await api.createExecution({ id: 'copier', tree: 'input-copier' });
      const res = await api.post('/executions/copier/tick', { count: 1 });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect((res.body as ErrorBody).error.message).toMatch(/tick 1 of execution copier was not committed/);
      expect((await api.execution('copier')).tick).toBe(0);
      expect((await api.get('/blackboard/exec:copier/keys/c1')).status).toBe(404);
    });

    it('an interval run whose record would be too large pauses with the reason, and goes on once the data is fixed', async () => {
      // Tick 1 writes 600,000 characters twice: 1.2 MB of record.
      await api.registerTree('(tree "input-doubler" (sequence (set "a" $src) (set "b" $src)))');
      await api.ok(api.put('/blackboard/exec:copy-every/keys/src', { value: 'x'.repeat(600_000) }));
      await api.createExecution({ id: 'copy-every', tree: 'input-doubler' });
      const ws = new WebSocket(`${stack.gateway.url.replace('http', 'ws')}/executions/copy-every/ws`, { headers: authHeaders() });
      const paused = new Promise<EventEnvelope>((resolve) =>
        ws.on('message', (raw) => {
          const event = JSON.parse(String(raw)) as EventEnvelope;
          if (event.type === 'execution_paused') resolve(event);
        }),
      );
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      try {
        await api.ok(api.post('/executions/copy-every/start', { mode: 'interval', intervalMs: 20 }));
        const event = await paused;
        expect(event.data).toEqual({
          pausedAt: { tick: 1, reason: 'record_too_large' },
          error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/tick 1 of execution copy-every was not committed/) },
        });
      } finally {
        ws.close();
      }
      const exec = await api.execution('copy-every');
      expect({ state: exec.state, tick: exec.tick }).toEqual({ state: 'paused', tick: 0 });
      const debug = await api.ok(api.get<DebugView>('/executions/copy-every/debug'));
      expect(debug.pausedAt).toEqual({ tick: 1, reason: 'record_too_large' });
      // Smaller data, resume: the run goes on from tick 1 with the same mode.
      await api.ok(api.put('/blackboard/exec:copy-every/keys/src', { value: 'small' }));
      await api.ok(api.post('/executions/copy-every/resume'));
      await pollUntil('copy-every ticking again', async () => (await api.execution('copy-every')).tick >= 3, { timeoutMs: 20_000 });
      expect((await api.execution('copy-every')).state).toBe('running');
      expect((await api.ok(api.get<{ value: unknown }>('/blackboard/exec:copy-every/keys/b'))).value).toBe('small');
      await api.ok(api.post('/executions/copy-every/stop'));
    });

    it('a scope larger than one NATS message is listed whole', async () => {
      const values = ['a', 'b', 'c'].map((c) => c.repeat(600_000));
      for (const [i, value] of values.entries()) await api.ok(api.put(`/blackboard/team:wide/keys/k${i}`, { value }));
      const entries = await api.ok(api.get<Entry[]>('/blackboard/team:wide'));
      expect(entries.map((e) => [e.key, e.value])).toEqual(values.map((v, i) => [`k${i}`, v]));
      // The debugger's view holds whole blackboards: its reply comes in chunks.
      for (const [i, value] of values.entries()) await api.ok(api.put(`/blackboard/exec:wide-exec/keys/k${i}`, { value }));
      await api.createExecution({ id: 'wide-exec', tree: 'input-counter' });
      const view = await api.ok(api.get<DebugView>('/executions/wide-exec/debug'));
      expect(Object.keys(view.blackboard.exec).sort()).toEqual(['k0', 'k1', 'k2']);
      expect(view.blackboard.exec.k2).toBe(values[2]);
    });

    it('a tree whose stored form is over one NATS message is 413 at registration', async () => {
      const logs = Array.from({ length: 3500 }, () => `(log "${'y'.repeat(250)}")`).join(' ');
      const res = await api.post('/trees', { source: `(tree "input-huge" (sequence ${logs}))` });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect((await api.get('/trees/input-huge')).status).toBe(404);
    });
  });

  describe('long tick requests', () => {
    it('10,000 ticks (the default maximum) are answered 200 once done, not 503 while still ticking', async () => {
      await api.createExecution({ id: 'long', tree: 'input-counter' });
      const reply = await api.ok(api.post<TickResponse>('/executions/long/tick', { count: 10_000 }));
      expect(reply).toMatchObject({ tick: 10_000, status: 'RUNNING' });
      expect(reply.ticksDone).toBeUndefined();
    }, 180_000);

    it('a request cut short by a stop says so, and how many ticks it did', async () => {
      await api.createExecution({ id: 'cut', tree: 'input-counter' });
      const ticking = api.post<TickResponse>('/executions/cut/tick', { count: 10_000 });
      await pollUntil('ticks under way', async () => (await api.execution('cut')).tick > 10, { timeoutMs: 30_000 });
      const stopped = await api.ok(api.post<Execution>('/executions/cut/stop'));
      const reply = await api.ok(ticking);
      expect(reply).toMatchObject({ state: 'stopped', interrupted: 'stopped', ticksDone: stopped.tick });
      expect(reply.ticksDone).toBeLessThan(10_000);
    }, 120_000);
  });
});
