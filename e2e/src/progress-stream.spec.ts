import type { EventEnvelope } from '@canopy/contracts';
import { authHeaders, GatewayApi, type Stack } from '@canopy/testing';
import { WebSocket } from 'ws';
import { startE2eStack } from './support/e2e-stack';
import { STEPS_TREE } from './support/trees';

/** A stream message: the runner's and history's events, and the gateway's own (`subscribed`, `snapshot`). */
type Message = Omit<EventEnvelope, 'type'> & { type: string };

/** A WebSocket stream client that hands out its messages as they come. */
async function openStream(
  url: string,
  key?: string,
): Promise<{ next(match: (m: Message) => boolean): Promise<Message>; close(): void }> {
  const ws = new WebSocket(url, { headers: authHeaders(key) });
  const seen: Message[] = [];
  const waiting: { match(m: Message): boolean; resolve(m: Message): void }[] = [];
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as Message;
    const i = waiting.findIndex((w) => w.match(message));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(message);
    else seen.push(message);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    next: (match) => {
      const i = seen.findIndex(match);
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]);
      return new Promise((resolve) => waiting.push({ match, resolve }));
    },
    close: () => ws.close(),
  };
}

/** The status an upgrade was refused with (fails if it was accepted). */
function refusedWith(url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: authHeaders(key) });
    ws.once('open', () => reject(new Error('upgrade accepted')));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

/**
 * Progress pushed to every client: history publishes `execution_progress` after storing a tick;
 * it reaches the execution's own stream and the all-executions stream `GET /ws`.
 */
describe('pushed progress', () => {
  let stack: Stack;
  let api: GatewayApi;
  let wsBase: string;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1 });
    api = new GatewayApi(stack.gateway.url);
    wsBase = stack.gateway.url.replace('http', 'ws');
    await api.registerTree(STEPS_TREE);
  }, 180_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it('reaches the execution`s stream and the all-executions stream, with elapsed and ETA', async () => {
    const all = await openStream(`${wsBase}/ws?events=execution_progress`);
    expect(await all.next((m) => m.type === 'subscribed')).toMatchObject({
      execId: '*',
      data: { events: ['execution_progress'] },
    });
    await api.createExecution({ tree: 'e2e-steps', id: 'pushed-1' });
    const own = await openStream(`${wsBase}/executions/pushed-1/ws?events=execution_progress`);
    await own.next((m) => m.type === 'snapshot');

    // A run of STEPS_TREE is two ticks (support/trees.ts): "counted" 50, then "done" 100.
    await api.tick('pushed-1', 2);
    const ofTick = (tick: number) => (m: Message) =>
      m.type === 'execution_progress' && m.execId === 'pushed-1' && m.tick === tick;
    const first = {
      type: 'execution_progress',
      execId: 'pushed-1',
      tick: 1,
      data: { step: 'counted', percent: 50, status: 'RUNNING', source: 'marks' },
    };
    const expected = {
      type: 'execution_progress',
      execId: 'pushed-1',
      tick: 2,
      data: { step: 'done', percent: 100, status: 'SUCCESS', etaMs: 0, source: 'marks' },
    };
    expect(await all.next(ofTick(1))).toMatchObject(first);
    expect(await own.next(ofTick(1))).toMatchObject(first);
    expect(await all.next(ofTick(2))).toMatchObject(expected);
    const event = await own.next(ofTick(2));
    expect(event).toMatchObject(expected);
    expect(event.data).toMatchObject({ elapsedMs: expect.any(Number) });
    // The same numbers as the progress route.
    const progress = await api.ok(api.get<Record<string, unknown>>('/executions/pushed-1/progress'));
    expect(progress).toMatchObject({ tick: 2, ...expected.data });
    all.close();
    own.close();
  });

  it('refuses types outside the all-executions stream, and keys limited to teams', async () => {
    const bad = await api.get<{ error: { code: string } }>('/events?events=node_update');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect((await api.request('GET', '/ws')).status).toBe(400); // no upgrade

    const { key } = await api.ok(
      api.post<{ key: string }>('/keys', { role: 'viewer', teams: ['red'], name: 'red-viewer' }),
      201,
    );
    expect(await refusedWith(`${wsBase}/ws`, key)).toBe(403);
    expect((await api.as(key).get('/events')).status).toBe(403);
  });
});
