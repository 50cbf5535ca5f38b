import type { EventEnvelope, TickRecordMessage } from '@canopy/contracts';
import { getFreePort, pollUntil, startStack, type Stack, TEST_ADMIN_KEY } from '@canopy/testing';
import type { TracedNats } from '@canopy/telemetry';
import {
  CanopyClient,
  CanopyError,
  CanopyUnreachable,
  connectCanopyNats,
  followExecution,
  type StreamMessage,
  type StreamNotice,
  subscribeEvents,
  subscribeTicks,
  unwrap,
} from '../src';
import { WebSocket as WsWebSocket } from 'ws';
import * as browserEntry from '../src/rest';
import { committedTypes, typesFromLiveOpenApi } from './support/openapi-types';

/** One stack (real NATS, Redis, every service as a process) for the SDK against the gateway. */
describe('@canopy/sdk against a real stack', () => {
  let stack: Stack;
  let client: CanopyClient;

  beforeAll(async () => {
    stack = await startStack({ label: 'sdk' });
    client = new CanopyClient({ baseUrl: stack.gateway.url, apiKey: TEST_ADMIN_KEY });
    await unwrap(
      client.rest.POST('/trees', {
        body: { source: '(tree "sdk-counter" (sequence (set "n" (+ (get "n" 0) 1)) (running)))' },
      }),
    );
  });

  afterAll(() => stack?.dispose());

  describe('generated types', () => {
    it("equal what openapi-typescript makes of the live gateway's /openapi.json", async () => {
      const live = await typesFromLiveOpenApi(`${stack.gateway.url}/openapi.json`);
      // On failure: `npx nx run sdk:generate-api`, then commit libs/sdk/src/generated/openapi.ts.
      expect(committedTypes()).toBe(live);
    });
  });

  describe('REST', () => {
    it('registers, creates, ticks and reads history through the typed routes', async () => {
      const tree = await unwrap(
        client.rest.POST('/trees', { body: { source: '(tree "sdk-rest" (success))' } }),
      );
      expect(tree).toMatchObject({ name: 'sdk-rest', version: 1 });
      const execution = await unwrap(
        client.rest.POST('/executions', { body: { tree: 'sdk-counter', id: 'sdk-rest-1' } }),
      );
      expect(execution).toMatchObject({ id: 'sdk-rest-1', tree: 'sdk-counter', tick: 0 });
      const ticked = await unwrap(
        client.rest.POST('/executions/{id}/tick', {
          params: { path: { id: 'sdk-rest-1' } },
          body: { count: 3 },
        }),
      );
      expect(ticked).toMatchObject({ tick: 3 });
      await pollUntil(
        'history of 3 ticks',
        async () => {
          const history = await unwrap(
            client.rest.GET('/executions/{id}/history', { params: { path: { id: 'sdk-rest-1' } } }),
          );
          return history.map((h) => h.tick).join() === '1,2,3';
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
    });

    it('sends the key as X-API-Key when asked to', async () => {
      const viaHeader = new CanopyClient({
        baseUrl: stack.gateway.url,
        apiKey: TEST_ADMIN_KEY,
        authHeader: 'x-api-key',
      });
      expect(viaHeader.authHeaders()).toEqual({ 'x-api-key': TEST_ADMIN_KEY });
      const trees = await unwrap(viaHeader.rest.GET('/trees'));
      expect(trees.map((t) => t.name)).toContain('sdk-counter');
    });

    it('throws the error shape as a CanopyError: 401 without a key, 400 with the fields', async () => {
      const anonymous = new CanopyClient({ baseUrl: stack.gateway.url });
      const unauthenticated = await unwrap(anonymous.rest.GET('/trees')).catch((e: unknown) => e);
      expect(unauthenticated).toBeInstanceOf(CanopyError);
      expect(unauthenticated).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

      const bad = await unwrap(
        // A wrong type on purpose: what a caller without TypeScript could send.
        client.rest.POST('/executions', { body: { tree: 42 as unknown as string } }),
      ).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(CanopyError);
      expect((bad as CanopyError).status).toBe(400);
      expect((bad as CanopyError).code).toBe('VALIDATION_FAILED');
      expect((bad as CanopyError).body?.fields?.map((f) => f.field)).toContain('tree');
    });

    it('throws CanopyUnreachable when nothing listens', async () => {
      const nobody = new CanopyClient({ baseUrl: `http://127.0.0.1:${await getFreePort()}` });
      const error = await unwrap(nobody.rest.GET('/trees')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CanopyUnreachable);
      expect((error as CanopyUnreachable).reason).toBe('ECONNREFUSED');
    });
  });

  describe('NATS subscriptions', () => {
    let nats: TracedNats;
    beforeAll(async () => {
      nats = await connectCanopyNats({ servers: stack.infra.env.NATS_URL });
    });
    afterAll(() => nats?.drain());

    it('delivers typed tick records and events of one execution', async () => {
      const records: TickRecordMessage[] = [];
      const events: EventEnvelope[] = [];
      const ticks = subscribeTicks(nats, (r) => void records.push(r), { execId: 'sdk-nats' });
      const completes = subscribeEvents(nats, (e) => void events.push(e), {
        execId: 'sdk-nats',
        types: ['tick_complete', 'blackboard_update'],
      });
      await nats.connection.flush();
      try {
        await unwrap(
          client.rest.POST('/executions', { body: { tree: 'sdk-counter', id: 'sdk-nats' } }),
        );
        await unwrap(
          client.rest.POST('/executions/{id}/tick', {
            params: { path: { id: 'sdk-nats' } },
            body: { count: 2 },
          }),
        );
        await pollUntil(
          '2 records, 3 events',
          async () => records.length >= 2 && events.length >= 3,
          {
            timeoutMs: 10_000,
          },
        );
        expect(records.map((r) => [r.execId, r.tick, r.tree])).toEqual([
          ['sdk-nats', 1, 'sdk-counter'],
          ['sdk-nats', 2, 'sdk-counter'],
        ]);
        // The sequence sets n once, then stays RUNNING at `(running)`: tick 2 writes nothing.
        expect(records.map((r) => r.writes)).toEqual([
          [expect.objectContaining({ key: 'n', scope: 'exec', new: 1 })],
          [],
        ]);
        expect(events.map((e) => `${e.tick}:${e.type}`)).toEqual([
          '1:blackboard_update',
          '1:tick_complete',
          '2:tick_complete',
        ]);
      } finally {
        ticks.unsubscribe();
        completes.unsubscribe();
      }
    });
  });

  describe('live stream', () => {
    it('fills the ticks it missed while the gateway was killed from history, each tick once', async () => {
      const id = 'sdk-resume';
      await unwrap(
        client.rest.POST('/executions', {
          body: { tree: 'sdk-counter', id, mode: 'interval', intervalMs: 50 },
        }),
      );
      const messages: StreamMessage[] = [];
      const notices: StreamNotice[] = [];
      const done = followExecution(client, {
        execId: id,
        untilTerminal: true,
        gapWaitMs: 20_000,
        onMessage: (m) => void messages.push(m),
        onNotice: (n) => void notices.push(n),
      });
      const completes = () => messages.filter((m) => m.type === 'tick_complete').length;
      await pollUntil('live ticks', async () => completes() >= 3, { timeoutMs: 15_000 });

      // kill -9: no close frame; the runner goes on ticking while no gateway is there.
      await stack.gateway.kill();
      await pollUntil('the loss noticed', async () => notices.some((n) => n.kind === 'lost'), {
        timeoutMs: 10_000,
      });
      const before = completes();
      await stack.gateway.restart();
      await pollUntil('reconnected', async () => notices.some((n) => n.kind === 'reconnected'), {
        timeoutMs: 30_000,
      });
      await pollUntil('live again', async () => completes() > before + 2, { timeoutMs: 15_000 });
      const stopped = await unwrap(
        client.rest.POST('/executions/{id}/stop', { params: { path: { id } } }),
      );
      expect(await done).toBe('terminal');

      const reconnect = notices.find((n) => n.kind === 'reconnected');
      expect(reconnect?.kind === 'reconnected' && reconnect.missed).toBeTruthy();
      const filled = messages.filter((m) => m.type === 'history_tick').map((m) => m.tick);
      expect(filled.length).toBeGreaterThan(0);
      expect(messages.filter((m) => m.type === 'gap')).toEqual([]);
      // Every tick after the first snapshot's, up to the last, exactly once and in order: live
      // (its tick_complete) or from history.
      const first = messages.find((m) => m.type === 'snapshot');
      const startTick = (first?.data as { execution: { tick: number } }).execution.tick;
      const delivered = messages
        .filter((m) => m.type === 'tick_complete' || m.type === 'history_tick')
        .map((m) => m.tick)
        .filter((t) => t > startTick);
      const last = stopped.tick;
      expect(delivered).toEqual(
        Array.from({ length: last - startTick }, (_, i) => startTick + i + 1),
      );
      // Runner events are never delivered twice.
      const keys = messages.filter((m) => m.seq >= 0).map((m) => `${m.tick}:${m.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('resumes after a given tick on its first connection (afterTick)', async () => {
      const id = 'sdk-after';
      await unwrap(client.rest.POST('/executions', { body: { tree: 'sdk-counter', id } }));
      await unwrap(
        client.rest.POST('/executions/{id}/tick', { params: { path: { id } }, body: { count: 4 } }),
      );
      const messages: StreamMessage[] = [];
      const controller = new AbortController();
      const done = followExecution(client, {
        execId: id,
        afterTick: 1,
        signal: controller.signal,
        onMessage: (m) => {
          messages.push(m);
          if (m.type === 'history_tick' && m.tick === 4) controller.abort();
        },
      });
      expect(await done).toBe('interrupted');
      expect(messages.map((m) => `${m.type}:${m.tick}`)).toEqual([
        'snapshot:4',
        'history_tick:2',
        'history_tick:3',
        'history_tick:4',
      ]);
    });

    it('says which ticks history could not give (a gap), then goes on', async () => {
      const id = 'sdk-gap';
      await unwrap(client.rest.POST('/executions', { body: { tree: 'sdk-counter', id } }));
      await unwrap(
        client.rest.POST('/executions/{id}/tick', { params: { path: { id } }, body: { count: 3 } }),
      );
      await pollUntil(
        'history of tick 3',
        async () =>
          (await unwrap(client.rest.GET('/executions/{id}/history', { params: { path: { id } } })))
            .length === 3,
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      await unwrap(client.rest.DELETE('/executions/{id}/history', { params: { path: { id } } }));
      const messages: StreamMessage[] = [];
      const controller = new AbortController();
      const done = followExecution(client, {
        execId: id,
        afterTick: 0,
        gapWaitMs: 300,
        events: ['tick_complete'],
        signal: controller.signal,
        onMessage: (m) => {
          messages.push(m);
          if (m.type === 'tick_complete') controller.abort();
        },
      });
      await pollUntil('the gap', async () => messages.some((m) => m.type === 'gap'), {
        timeoutMs: 10_000,
      });
      await unwrap(client.rest.POST('/executions/{id}/tick', { params: { path: { id } } }));
      expect(await done).toBe('interrupted');
      expect(messages.map((m) => `${m.type}:${m.tick}`)).toEqual([
        'snapshot:3',
        'gap:3',
        'tick_complete:4',
      ]);
      expect(messages[1].data).toMatchObject({ from: 1, to: 3 });
    });

    it('throws the gateway answer for an unknown execution', async () => {
      const error = await followExecution(client, {
        execId: 'sdk-nope',
        onMessage: () => undefined,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CanopyError);
      expect(error).toMatchObject({ status: 404, code: 'EXECUTION_NOT_FOUND' });
    });
  });

  // What Studio uses: the REST client and followExecution over a WHATWG WebSocket (here the `ws`
  // package's class, which has that API), the key in the `canopy.bearer.<key>` subprotocol.
  describe('the browser entry (@canopy/sdk/rest)', () => {
    it('asks a key function at every request: 401 before there is a key, 200 after', async () => {
      const held: { key?: string } = {};
      const session = new browserEntry.CanopyClient({
        baseUrl: stack.gateway.url,
        apiKey: () => held.key,
      });
      const refused = await browserEntry
        .unwrap(session.rest.GET('/trees'))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(browserEntry.CanopyError);
      expect(refused).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      held.key = TEST_ADMIN_KEY;
      const trees = await browserEntry.unwrap(session.rest.GET('/trees'));
      expect(trees.map((t) => t.name)).toContain('sdk-counter');
    });

    it('follows an execution to its end with the key in the subprotocol', async () => {
      const id = 'sdk-browser';
      await unwrap(client.rest.POST('/executions', { body: { tree: 'sdk-counter', id } }));
      const session = new browserEntry.CanopyClient({
        baseUrl: stack.gateway.url,
        apiKey: () => TEST_ADMIN_KEY,
      });
      const messages: StreamMessage[] = [];
      const done = browserEntry.followExecution(session, {
        execId: id,
        untilTerminal: true,
        WebSocket: WsWebSocket,
        onMessage: (m) => void messages.push(m),
      });
      await pollUntil('the snapshot', async () => messages.length > 0, { timeoutMs: 10_000 });
      await unwrap(
        client.rest.POST('/executions/{id}/tick', { params: { path: { id } }, body: { count: 2 } }),
      );
      await pollUntil(
        'two ticks',
        async () => messages.filter((m) => m.type === 'tick_complete').length === 2,
        { timeoutMs: 10_000 },
      );
      await unwrap(client.rest.POST('/executions/{id}/stop', { params: { path: { id } } }));
      expect(await done).toBe('terminal');
      expect(messages[0]).toMatchObject({ type: 'snapshot', tick: 0 });
      expect(messages.filter((m) => m.type === 'tick_complete').map((m) => m.tick)).toEqual([1, 2]);
      expect(messages.at(-1)?.type).toBe('execution_stopped');
    });

    it('names a refused stream by the REST answer: 401 without a key, 404 for no such execution', async () => {
      const follow = (apiKey: string | undefined, execId: string) =>
        browserEntry
          .followExecution(new browserEntry.CanopyClient({ baseUrl: stack.gateway.url, apiKey }), {
            execId,
            WebSocket: WsWebSocket,
            onMessage: () => undefined,
          })
          .catch((e: unknown) => e);
      expect(await follow(undefined, 'sdk-counter-none')).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(await follow(TEST_ADMIN_KEY, 'sdk-nope')).toMatchObject({
        status: 404,
        code: 'EXECUTION_NOT_FOUND',
      });
    });

    it('says what is missing where there is no global WebSocket', async () => {
      const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
      const error = await browserEntry
        .followExecution(client, { execId: 'x', onMessage: () => undefined })
        .catch((e: unknown) => e);
      if (hasGlobal) expect(error).toBeInstanceOf(browserEntry.CanopyError);
      else expect(String(error)).toMatch(/no WebSocket here/);
    });
  });
});
