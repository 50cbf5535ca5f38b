import type {
  Breakpoint,
  DebugView,
  EventEnvelope,
  TickRecordMessage,
  TickResponse,
  Watch,
} from '@canopy/contracts';
import { compile } from '@canopy/dsl';
import { buildTree, type TreeDocument } from '@canopy/engine';
import { authHeaders, GatewayApi, type Stack } from '@canopy/testing';
import { WebSocket } from 'ws';
import { startE2eStack } from './support/e2e-stack';
import { storedTicks, NatsTap } from './support/tap';
import { STEPS_TREE } from './support/trees';

/** The ids of STEPS_TREE's nodes, from the engine, in depth-first order. */
const IDS = buildTree(compile(STEPS_TREE).document as TreeDocument).nodes.map((n) => n.id);
const [, SET_COUNT, LOG] = IDS;

/** A WebSocket client of one execution's stream that hands out the events as they come. */
async function watchEvents(
  url: string,
): Promise<{ next(type: string): Promise<EventEnvelope>; close(): void }> {
  const ws = new WebSocket(url, { headers: authHeaders() });
  const seen: EventEnvelope[] = [];
  const waiting: { type: string; resolve(e: EventEnvelope): void }[] = [];
  ws.on('message', (raw) => {
    const event = JSON.parse(String(raw)) as EventEnvelope;
    const i = waiting.findIndex((w) => w.type === event.type);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(event);
    else seen.push(event);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    next: (type) => {
      const i = seen.findIndex((e) => e.type === type);
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]);
      return new Promise((resolve) => waiting.push({ type, resolve }));
    },
    close: () => ws.close(),
  };
}

/**
 * The debugger through the gateway, as a user drives it: breakpoints and watches over REST, the
 * execution stopping mid-tick, the events on the WebSocket, steps, and the records afterwards equal
 * to an undebugged execution's.
 */
describe('debugging an execution over REST', () => {
  let stack: Stack;
  let api: GatewayApi;
  let tap: NatsTap;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1 });
    api = new GatewayApi(stack.gateway.url);
    tap = await NatsTap.connect(stack.infra.nats.url);
    await api.registerTree(STEPS_TREE);
  }, 180_000);

  afterAll(async () => {
    await tap?.close();
    await stack?.dispose();
  }, 60_000);

  const records = async (id: string, n: number) =>
    (await storedTicks(tap.nc, id))
      .slice(0, n)
      .map(
        ({
          durationMs: _d,
          startedAt: _s,
          execId: _e,
          epoch: _p,
          runner: _r,
          // When each execution was created (its incarnation): the two differ by design.
          createdAt: _c,
          ...rest
        }: TickRecordMessage) => rest,
      );

  it('stops at a breakpoint, shows the tick at that point, steps, continues, and records what an undebugged run records', async () => {
    const id = 'debugged';
    await api.createExecution({ tree: 'e2e-steps', id });
    await api.createExecution({ tree: 'e2e-steps', id: 'undebugged' });
    const events = await watchEvents(
      `${stack.gateway.url.replace('http', 'ws')}/executions/${id}/ws`,
    );

    const bp = await api.ok(
      api.post<Breakpoint>(`/executions/${id}/breakpoints`, { nodeId: LOG }),
      201,
    );
    expect(bp).toMatchObject({
      nodeId: LOG,
      when: 'before',
      mode: 'break',
      once: false,
      enabled: true,
    });
    expect(await api.ok(api.get<Breakpoint[]>(`/executions/${id}/breakpoints`))).toEqual([bp]);

    const tick = await api.ok(api.post<TickResponse>(`/executions/${id}/tick`, { count: 1 }));
    expect(tick).toMatchObject({
      state: 'paused',
      pausedAt: { tick: 1, reason: 'breakpoint', nodeId: LOG, when: 'before' },
    });
    expect(await events.next('breakpoint_hit')).toMatchObject({
      data: { breakpointId: bp.id, nodeId: LOG },
    });
    expect(await events.next('execution_paused')).toMatchObject({
      data: { pausedAt: tick.pausedAt },
    });

    const view = await api.ok(api.get<DebugView>(`/executions/${id}/debug`));
    expect(view).toMatchObject({ paused: true, pausedAt: tick.pausedAt, breakpoints: [bp] });
    expect(view.statuses[SET_COUNT]).toBe('SUCCESS');
    expect(view.blackboard.exec).toMatchObject({ count: 1 });

    const into = await api.ok(api.post<DebugView>(`/executions/${id}/step`, { mode: 'into' }));
    expect(into.pausedAt).toMatchObject({ nodeId: LOG, when: 'after', reason: 'step' });
    const resumed = await api.ok(
      api.post<DebugView>(`/executions/${id}/step`, { mode: 'continue' }),
    );
    expect(resumed.paused).toBe(false);

    // The breakpoint goes; a watch on the counter stops right after the node that writes it.
    await api.ok(api.delete(`/executions/${id}/breakpoints/${LOG}`));
    const watch = await api.ok(api.post<Watch>(`/executions/${id}/watches`, { key: 'count' }), 201);
    // Tick 2 finishes the repeat without touching the counter (STEPS_TREE counts on odd ticks).
    const even = await api.ok(api.post<TickResponse>(`/executions/${id}/tick`, { count: 1 }));
    expect(even).toMatchObject({ tick: 2, status: 'SUCCESS', state: 'completed' });
    expect(even.pausedAt).toBeUndefined();
    const watched = await api.ok(api.post<TickResponse>(`/executions/${id}/tick`, { count: 1 }));
    expect(watched.pausedAt).toMatchObject({
      tick: 3,
      reason: 'watch',
      nodeId: SET_COUNT,
      when: 'after',
      watchId: watch.id,
    });
    expect(await events.next('watch_hit')).toMatchObject({
      data: { watchId: watch.id, key: 'count', oldValue: 1, value: 2, nodeId: SET_COUNT, tick: 3 },
    });
    await api.ok(api.delete(`/executions/${id}/watches/${watch.id}`));
    await api.ok(api.post<DebugView>(`/executions/${id}/step`, { mode: 'continue' }));
    events.close();

    await api.ok(api.post<TickResponse>(`/executions/undebugged/tick`, { count: 3 }));
    expect(await records(id, 3)).toEqual(await records('undebugged', 3));
  });

  it("answers the debugger's bad requests with their codes", async () => {
    const id = 'bad-requests';
    await api.createExecution({ tree: 'e2e-steps', id });
    const unknown = await api.post(`/executions/${id}/breakpoints`, { nodeId: 'main.42' });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'UNKNOWN_NODE' } } });
    const bad = await api.post(`/executions/${id}/breakpoints`, {
      nodeId: LOG,
      condition: '(> $count',
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'BAD_CONDITION', line: 1 } } });
    const notPaused = await api.post(`/executions/${id}/step`, { mode: 'over' });
    expect(notPaused).toMatchObject({
      status: 409,
      body: { error: { code: 'EXECUTION_NOT_PAUSED' } },
    });
    const badBody = await api.post(`/executions/${id}/breakpoints`, {
      nodeId: LOG,
      mode: 'replace',
    });
    expect(badBody).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });
});
