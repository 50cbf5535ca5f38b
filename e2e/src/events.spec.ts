import type { BlackboardEntry, TickResponse, TriggerResponse } from '@canopy/contracts';
import { GatewayApi, type Stack, waitFor, waitForShards } from '@canopy/testing';
import { runnerId, startE2eStack } from './support/e2e-stack';
import { NatsTap, storedTicks } from './support/tap';

const SHARDS = 64;
/** Opens on "open" (keeping its payload), counts the other ticks. */
const DOOR = `(tree "e2e-door" (selector
  (on-event "open" (set "opened" (event "open")))
  (set "idle" (+ (get "idle" 0) 1))))`;
/** Keeps the batch of each tick. */
const SEEN = '(tree "e2e-seen" (set "seen" (events)))';

/**
 * External events through the gateway, as a user sends them: `POST /executions/:id/trigger`
 * answers 202 once the event is stored; the tree reads it in its next tick; a runner killed
 * between the 202 and that tick loses nothing.
 */
describe('external events over REST', () => {
  let stack: Stack;
  let api: GatewayApi;
  let tap: NatsTap;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 2 });
    api = new GatewayApi(stack.gateway.url);
    tap = await NatsTap.connect(stack.infra.nats.url);
    await api.registerTree(DOOR);
    await api.registerTree(SEEN);
  }, 180_000);

  afterAll(async () => {
    await tap?.close();
    await stack?.dispose();
  }, 60_000);

  const trigger = (id: string, body: unknown) =>
    api.post<TriggerResponse>(`/executions/${id}/trigger`, body);

  it('ticks an event execution on a trigger, with the payload in (event "open")', async () => {
    await api.createExecution({ tree: 'e2e-door', id: 'door-rest', mode: 'event' });
    const res = await trigger('door-rest', { event: 'open', payload: { by: 'rest' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: true, queued: 1, at: expect.any(Number) });
    const opened = await waitFor('the tree opened', async () => {
      const r = await api.get<BlackboardEntry>('/blackboard/exec:door-rest/keys/opened');
      return r.status === 200 ? r.body : undefined;
    });
    expect(opened.value).toEqual({ by: 'rest' });
    const [tick] = await waitFor('the tick stored', async () => {
      const ticks = await storedTicks(tap.nc, 'door-rest');
      return ticks.length > 0 ? ticks : undefined;
    });
    expect(tick.events).toEqual([{ name: 'open', payload: { by: 'rest' }, at: res.body.at }]);
  });

  it('delivers events in order, one batch per tick; answers 400 and 404 for bad triggers', async () => {
    await api.createExecution({ tree: 'e2e-seen', id: 'seen-rest' });
    const ats: number[] = [];
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const res = await api.ok(trigger('seen-rest', { event: name, payload: i }), 202);
      expect(res.queued).toBe(i + 1);
      ats.push(res.at);
    }
    await api.tick('seen-rest', 2);
    const ticks = await storedTicks(tap.nc, 'seen-rest');
    expect(ticks.map((t) => t.events)).toEqual([
      [
        { name: 'a', payload: 0, at: ats[0] },
        { name: 'b', payload: 1, at: ats[1] },
        { name: 'c', payload: 2, at: ats[2] },
      ],
      undefined,
    ]);

    expect(await trigger('seen-rest', { payload: 1 })).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', fields: [{ field: 'event' }] } },
    });
    expect(await trigger('seen-rest', { event: '' })).toMatchObject({ status: 400 });
    expect(await trigger('no-such-execution', { event: 'x' })).toMatchObject({
      status: 404,
      body: { error: { code: 'EXECUTION_NOT_FOUND' } },
    });
  });

  it('loses no accepted event when the owner is killed (SIGKILL) between the 202 and the tick', async () => {
    await waitForShards(stack.runners, SHARDS);
    // An execution on runner 1 (ids hash onto shards, shards onto runners).
    let id = '';
    for (let i = 0; !id; i++) {
      await api.createExecution({ tree: 'e2e-seen', id: `kill-${i}` });
      if ((await api.execution(`kill-${i}`)).owner === runnerId(1)) id = `kill-${i}`;
    }
    const accepted = await api.ok(trigger(id, { event: 'survives', payload: 'kill -9' }), 202);

    await stack.runners[0].kill();
    // The gateway retries while the shard moves; past its budget it answers 503, and we ask again.
    const ticked = await waitFor(
      'a tick on the surviving runner',
      async () => {
        const r = await api.post<TickResponse>(`/executions/${id}/tick`, { count: 1 });
        return r.status === 200 ? r.body : undefined;
      },
      30_000,
    );
    expect(ticked.tick).toBe(1);
    await api.tick(id, 1);
    const ticks = await storedTicks(tap.nc, id);
    expect(ticks.map((t) => [t.tick, t.runner, t.events])).toEqual([
      [1, runnerId(2), [{ name: 'survives', payload: 'kill -9', at: accepted.at }]],
      [2, runnerId(2), undefined],
    ]);
  });
});
