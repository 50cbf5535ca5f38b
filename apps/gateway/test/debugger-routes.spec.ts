import {
  type Command,
  type CreateBreakpointRequest,
  DebugViewSchema,
  type EventEnvelope,
  type PausedAt,
  Subjects,
} from '@canopy/contracts';
import { type NatsHandle, type RedisHandle, startNats, startRedis } from '@canopy/testing';
import { createTestGateway } from './gateway-harness';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { StandInDebugger } from './stand-in-debugger';
import { execution, ownerGone, StandInRunners, type Step, storageDown } from './stand-in-runners';
import { openSse, openWs, type StreamMessage } from './stream-clients';

const SHARDS = 4;
const RETRY_AFTER = '3';

const STATUSES = {
  root: 'RUNNING',
  '0.1': 'SUCCESS',
  '0.2.1': 'IDLE',
  'charge/dock': 'IDLE',
} as const;
const BLACKBOARD = { global: {}, team: { free: 2 }, exec: { battery: 19, pose: { x: 1 } } };
/** Sources the stand-in's compiler rejects, where the engine's would. */
const BAD = {
  '(< $battery': { message: 'expected ) to close (', line: 1, column: 12 },
  'team:': { message: 'a scope prefix needs a key after it', line: 1, column: 6 },
};
const debuggerOf = () => new StandInDebugger({ ...STATUSES }, BLACKBOARD, BAD);

/** What the gateway sends for a body with every default left out. */
const breakpointOf = (
  nodeId: string,
  fields: Partial<CreateBreakpointRequest> = {},
): CreateBreakpointRequest => ({
  nodeId,
  when: 'before',
  mode: 'break',
  once: false,
  enabled: true,
  ...fields,
});

describe('gateway: the debugger routes, against a stand-in owner', () => {
  let nats: NatsHandle;
  let redis: RedisHandle;
  let nc: NatsConnection;
  let runners: StandInRunners;
  let gateway: NestFastifyApplication;

  beforeAll(async () => {
    nats = await startNats();
    redis = await startRedis();
    nc = await connect({ servers: nats.url });
    runners = new StandInRunners(nc, SHARDS);
    gateway = await createTestGateway(
      {
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        SHARD_COUNT: String(SHARDS),
        OWNER_RETRY_BUDGET_MS: '1500',
        REQUEST_TIMEOUT_MS: '1000',
        RETRY_AFTER_SECONDS: RETRY_AFTER,
      },
      'gateway-spec',
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await gateway?.close();
    await nc?.close();
    await nats?.dispose();
    await redis?.dispose();
  });

  /** An owner of `execId` that is the stand-in debugger after the scripted `steps`. */
  async function ownerOf(execId: string, steps: Step[] = [], dbg = debuggerOf()) {
    const owner = runners.owner(execId, steps, dbg.answer);
    await runners.ready();
    return { dbg, seen: owner.seen };
  }

  async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
    const res = await gateway.inject({
      method,
      url,
      ...(payload === undefined
        ? {}
        : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
    });
    return {
      status: res.statusCode,
      type: res.headers['content-type'],
      retryAfter: res.headers['retry-after'],
      body: res.json(),
    };
  }
  const JSON_TYPE = 'application/json; charset=utf-8';

  it('sets, lists and removes breakpoints, one owner command per route', async () => {
    const { seen } = await ownerOf('bp');
    const url = '/executions/bp/breakpoints';
    const plain = { id: 'bp-1', ...breakpointOf('0.2.1') };
    const after = {
      id: 'bp-2',
      ...breakpointOf('0.2.1', { when: 'after', condition: '(< $battery 20)', once: true }),
    };
    const replace = {
      id: 'bp-3',
      ...breakpointOf('charge/dock', { mode: 'replace', status: 'FAILURE', enabled: false }),
    };

    expect(await call('POST', url, { nodeId: '0.2.1' })).toEqual({
      status: 201,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: plain,
    });
    expect(
      await call('POST', url, {
        nodeId: '0.2.1',
        when: 'after',
        condition: ' (< $battery 20) ',
        once: true,
      }),
    ).toMatchObject({ status: 201, body: after });
    expect(
      await call('POST', url, {
        nodeId: 'charge/dock',
        mode: 'replace',
        status: 'FAILURE',
        enabled: false,
      }),
    ).toMatchObject({ status: 201, body: replace });
    expect(await call('GET', url)).toEqual({
      status: 200,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: [plain, after, replace],
    });

    // Node ids have dots, and `/` inside subtree instances: sent as is or encoded.
    expect(await call('DELETE', `${url}/0.2.1`)).toEqual({
      status: 200,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: { removed: [plain, after] },
    });
    expect(await call('DELETE', `${url}/charge/dock`)).toMatchObject({
      status: 200,
      body: { removed: [replace] },
    });
    expect(await call('DELETE', `${url}/charge%2Fdock`)).toMatchObject({
      status: 200,
      body: { removed: [] },
    });
    // Longer than a Fastify route parameter may be (100): the rest of the path has no such limit.
    const long = `${'sub/'.repeat(60)}leaf`;
    expect(await call('DELETE', `${url}/${long}`)).toMatchObject({
      status: 200,
      body: { removed: [] },
    });
    expect(await call('GET', url)).toMatchObject({ status: 200, body: [] });

    expect(seen).toEqual([
      { type: 'breakpoint.add', breakpoint: breakpointOf('0.2.1') },
      {
        type: 'breakpoint.add',
        breakpoint: breakpointOf('0.2.1', {
          when: 'after',
          condition: '(< $battery 20)',
          once: true,
        }),
      },
      {
        type: 'breakpoint.add',
        breakpoint: breakpointOf('charge/dock', {
          mode: 'replace',
          status: 'FAILURE',
          enabled: false,
        }),
      },
      { type: 'debug' },
      { type: 'breakpoint.remove', nodeId: '0.2.1' },
      { type: 'breakpoint.remove', nodeId: 'charge/dock' },
      { type: 'breakpoint.remove', nodeId: 'charge/dock' },
      { type: 'breakpoint.remove', nodeId: long },
      { type: 'debug' },
    ] satisfies Command[]);
  });

  it('adds, lists and removes watches', async () => {
    const { seen } = await ownerOf('watches');
    const url = '/executions/watches/watches';
    expect(await call('POST', url, { key: 'global:robot/pose/x' })).toEqual({
      status: 201,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: { id: 'w-1', key: 'global:robot/pose/x' },
    });
    expect(await call('POST', url, { key: 'team:free', condition: '(> $free 2)' })).toMatchObject({
      status: 201,
      body: { id: 'w-2', key: 'team:free', condition: '(> $free 2)' },
    });
    expect(await call('GET', url)).toEqual({
      status: 200,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: [
        { id: 'w-1', key: 'global:robot/pose/x' },
        { id: 'w-2', key: 'team:free', condition: '(> $free 2)' },
      ],
    });
    expect(await call('DELETE', `${url}/w-1`)).toEqual({
      status: 200,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: { removed: { id: 'w-1', key: 'global:robot/pose/x' } },
    });
    expect(await call('DELETE', `${url}/w-1`)).toEqual({
      status: 404,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: { error: { code: 'WATCH_NOT_FOUND', message: 'no watch w-1' } },
    });
    expect(await call('GET', url)).toMatchObject({
      status: 200,
      body: [{ id: 'w-2', key: 'team:free', condition: '(> $free 2)' }],
    });
    expect(seen).toEqual([
      { type: 'watch.add', watch: { key: 'global:robot/pose/x' } },
      { type: 'watch.add', watch: { key: 'team:free', condition: '(> $free 2)' } },
      { type: 'debug' },
      { type: 'watch.remove', watchId: 'w-1' },
      { type: 'watch.remove', watchId: 'w-1' },
      { type: 'debug' },
    ] satisfies Command[]);
  });

  it('shows the debug view, refuses a step when not paused and steps from a pause', async () => {
    const { dbg, seen } = await ownerOf('stepping');
    const url = '/executions/stepping';
    const view = (pausedAt?: PausedAt) => ({
      paused: pausedAt !== undefined,
      ...(pausedAt && { pausedAt }),
      statuses: STATUSES,
      blackboard: BLACKBOARD,
      breakpoints: [],
      watches: [],
    });

    const idle = await call('GET', `${url}/debug`);
    expect(idle).toEqual({ status: 200, type: JSON_TYPE, retryAfter: undefined, body: view() });
    expect(DebugViewSchema.safeParse(idle.body).success).toBe(true);
    expect(await call('POST', `${url}/step`, { mode: 'into' })).toEqual({
      status: 409,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: { error: { code: 'EXECUTION_NOT_PAUSED', message: 'execution is not paused' } },
    });

    const atBreakpoint: PausedAt = {
      tick: 4,
      reason: 'breakpoint',
      nodeId: '0.2.1',
      when: 'before',
      breakpointId: 'bp-1',
    };
    const afterIt: PausedAt = {
      tick: 4,
      reason: 'step',
      nodeId: '0.2.1',
      when: 'after',
      status: 'SUCCESS',
    };
    dbg.pause(atBreakpoint, [afterIt]);
    expect(await call('GET', `${url}/debug`)).toMatchObject({
      status: 200,
      body: view(atBreakpoint),
    });
    expect(await call('POST', `${url}/step`, { mode: 'over' })).toEqual({
      status: 200,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: view(afterIt),
    });
    expect(await call('POST', `${url}/step`, { mode: 'continue' })).toMatchObject({
      status: 200,
      body: view(),
    });
    expect(seen).toEqual([
      { type: 'debug' },
      { type: 'step', mode: 'into' },
      { type: 'debug' },
      { type: 'step', mode: 'over' },
      { type: 'step', mode: 'continue' },
    ] satisfies Command[]);
  });

  it("passes the runner's refusals on with their status and the position in the condition", async () => {
    const { seen } = await ownerOf('refusals', [
      { error: { code: 'EXECUTION_STOPPED', message: 'execution refusals is stopped' } },
    ]);
    const url = '/executions/refusals';
    expect(await call('POST', `${url}/step`, { mode: 'out' })).toMatchObject({
      status: 409,
      retryAfter: undefined,
      body: { error: { code: 'EXECUTION_STOPPED' } },
    });
    expect(await call('POST', `${url}/breakpoints`, { nodeId: '0.9' })).toEqual({
      status: 400,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: { error: { code: 'UNKNOWN_NODE', message: 'no node 0.9 in tree patrol' } },
    });
    expect(
      await call('POST', `${url}/breakpoints`, { nodeId: '0.1', condition: '(< $battery' }),
    ).toEqual({
      status: 400,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: {
        error: { code: 'BAD_CONDITION', message: 'expected ) to close (', line: 1, column: 12 },
      },
    });
    expect(await call('POST', `${url}/watches`, { key: 'team:' })).toEqual({
      status: 400,
      type: JSON_TYPE,
      retryAfter: undefined,
      body: {
        error: {
          code: 'BAD_CONDITION',
          message: 'a scope prefix needs a key after it',
          line: 1,
          column: 6,
        },
      },
    });
    expect(
      await call('POST', `${url}/watches`, { key: 'battery', condition: '(< $battery' }),
    ).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_CONDITION', line: 1, column: 12 } },
    });
    // Each refusal came from one command: none is resent.
    expect(seen.map((c) => c.type)).toEqual([
      'step',
      'breakpoint.add',
      'breakpoint.add',
      'watch.add',
      'watch.add',
    ]);
  });

  it('answers bad bodies and paths 400 VALIDATION_FAILED with every field, sending nothing', async () => {
    const { seen } = await ownerOf('invalid');
    const url = '/executions/invalid';
    const fieldsOf = async (method: 'POST' | 'DELETE', path: string, payload?: unknown) => {
      const res = await call(method, path, payload);
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      return res.body.error.fields.map((f: { field: string }) => f.field);
    };
    expect(
      await fieldsOf('POST', `${url}/breakpoints`, {
        nodeId: '',
        when: 'during',
        mode: 'skip',
        status: 'IDLE',
        condition: '  ',
        once: 'yes',
        enabled: 1,
      }),
    ).toEqual(['nodeId', 'when', 'mode', 'status', 'condition', 'once', 'enabled']);
    expect(
      await fieldsOf('POST', `${url}/breakpoints`, { nodeId: '0.1', mode: 'replace' }),
    ).toEqual(['status']);
    expect(
      await fieldsOf('POST', `${url}/breakpoints`, {
        nodeId: '0.1',
        mode: 'replace',
        status: 'SUCCESS',
        when: 'after',
      }),
    ).toEqual(['when']);
    expect(await fieldsOf('POST', `${url}/breakpoints`, {})).toEqual(['nodeId']);
    expect(await fieldsOf('POST', `${url}/watches`, { key: ' ', condition: '' })).toEqual([
      'key',
      'condition',
    ]);
    expect(await fieldsOf('POST', `${url}/step`, { mode: 'sideways' })).toEqual(['mode']);
    expect(await fieldsOf('POST', `${url}/step`)).toEqual(['(body)']);
    expect(await fieldsOf('DELETE', `${url}/breakpoints/${'n'.repeat(513)}`)).toEqual(['nodeId']);
    expect(await fieldsOf('DELETE', `${url}/breakpoints/`)).toEqual(['nodeId']);
    expect(await fieldsOf('DELETE', `/executions/bad%20id/watches/w-1`)).toEqual(['id']);
    expect(seen).toEqual([]);
  });

  describe('retries', () => {
    const fenced: Step = { error: { code: 'FENCED', message: 'runner r lost shard 3' } };

    const ROUTES: [string, 'GET' | 'POST' | 'DELETE', string, unknown, Command, number][] = [
      ['debug', 'GET', 'debug', undefined, { type: 'debug' }, 200],
      ['breakpoints', 'GET', 'breakpoints', undefined, { type: 'debug' }, 200],
      ['watches', 'GET', 'watches', undefined, { type: 'debug' }, 200],
      [
        'breakpoint.add',
        'POST',
        'breakpoints',
        { nodeId: 'root' },
        { type: 'breakpoint.add', breakpoint: breakpointOf('root') },
        201,
      ],
      [
        'breakpoint.remove',
        'DELETE',
        'breakpoints/root',
        undefined,
        { type: 'breakpoint.remove', nodeId: 'root' },
        200,
      ],
      [
        'watch.add',
        'POST',
        'watches',
        { key: 'battery' },
        { type: 'watch.add', watch: { key: 'battery' } },
        201,
      ],
      ['step', 'POST', 'step', { mode: 'into' }, { type: 'step', mode: 'into' }, 200],
    ];

    it.each(ROUTES)(
      '%s: resends the command after OWNER_UNAVAILABLE, FENCED and DEPENDENCY_UNAVAILABLE replies',
      async (name, method, path, payload, command, status) => {
        const id = `moving-${name.replace('.', '-')}`;
        const dbg = debuggerOf();
        dbg.pause({ tick: 2, reason: 'request' });
        const { seen } = await ownerOf(id, [ownerGone(), fenced, storageDown], dbg);
        const res = await call(method, `/executions/${id}/${path}`, payload);
        expect(res).toMatchObject({ status, retryAfter: undefined });
        expect(seen).toEqual([command, command, command, command]);
      },
    );

    it('resends a timed-out read, not a timed-out change, which may have been applied', async () => {
      const { seen: debug } = await ownerOf('slow-debug', ['silent']);
      const { seen: list } = await ownerOf('slow-list', ['silent']);
      expect(await call('GET', '/executions/slow-debug/debug')).toMatchObject({
        status: 200,
        body: { paused: false },
      });
      expect(await call('GET', '/executions/slow-list/watches')).toMatchObject({
        status: 200,
        body: [],
      });
      expect(debug).toEqual([{ type: 'debug' }, { type: 'debug' }]);
      expect(list).toEqual([{ type: 'debug' }, { type: 'debug' }]);

      const changes = ROUTES.filter(([, method]) => method !== 'GET').concat([
        [
          'watch.remove',
          'DELETE',
          'watches/w-1',
          undefined,
          { type: 'watch.remove', watchId: 'w-1' },
          200,
        ],
      ]);
      const results = await Promise.all(
        changes.map(async ([name, method, path, payload, command]) => {
          const id = `slow-${name.replace('.', '-')}`;
          const { seen } = await ownerOf(id, ['silent']);
          return { res: await call(method, `/executions/${id}/${path}`, payload), seen, command };
        }),
      );
      for (const { res, seen, command } of results) {
        expect(res).toMatchObject({
          status: 503,
          retryAfter: RETRY_AFTER,
          body: { error: { code: 'OWNER_UNAVAILABLE' } },
        });
        expect(seen).toEqual([command]);
      }
    });
  });

  describe('OpenAPI', () => {
    let document: {
      paths: Record<string, Record<string, Operation>>;
    };
    type Schema = {
      properties?: Record<string, Schema>;
      required?: string[];
      enum?: string[];
      items?: Schema;
    };
    type Operation = {
      parameters?: { name: string; in: string }[];
      requestBody?: { content: Record<string, { schema: Schema }> };
      responses: Record<
        string,
        { description: string; content?: Record<string, { schema: Schema }> }
      >;
    };

    beforeAll(async () => {
      document = (await call('GET', '/openapi.json')).body;
    });

    const op = (method: string, path: string) => document.paths[path]?.[method];
    /** The success's description, and the error codes documented under each error status. */
    const codes = (o: Operation) =>
      Object.fromEntries(
        Object.entries(o.responses).map(([status, r]) => [
          status,
          Number(status) >= 400 ? r.description.split(', ').sort() : r.description,
        ]),
      );
    const body = (o: Operation, status: string) =>
      o.responses[status].content?.['application/json'].schema as Schema;
    const owner = ['EXECUTION_NOT_FOUND'];
    const unavailable = ['DEPENDENCY_UNAVAILABLE', 'OWNER_UNAVAILABLE'];

    it('documents every debugger route with its body, reply and errors', () => {
      const add = op('post', '/executions/{id}/breakpoints');
      expect(add.requestBody?.content['application/json'].schema).toMatchObject({
        required: ['nodeId'],
        properties: {
          when: { enum: ['before', 'after'] },
          mode: { enum: ['break', 'replace'] },
          status: { enum: ['SUCCESS', 'FAILURE', 'RUNNING'] },
        },
      });
      expect(codes(add)).toEqual({
        '201': 'The breakpoint, with its id',
        '400': ['BAD_CONDITION', 'UNKNOWN_NODE', 'VALIDATION_FAILED'],
        '401': ['UNAUTHENTICATED'],
        '403': ['FORBIDDEN'],
        '404': owner,
        '429': ['RATE_LIMITED'],
        '503': unavailable,
      });
      expect(body(add, '201').required).toEqual(
        expect.arrayContaining(['id', 'nodeId', 'when', 'mode', 'once', 'enabled']),
      );

      const remove = op('delete', '/executions/{id}/breakpoints/{nodeId}');
      expect(remove.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
        'path:id',
        'path:nodeId',
      ]);
      expect(body(remove, '200').properties?.removed.items?.required).toContain('nodeId');

      const list = op('get', '/executions/{id}/breakpoints');
      expect(body(list, '200').items?.required).toContain('id');
      expect(body(op('get', '/executions/{id}/watches'), '200').items?.required).toEqual([
        'id',
        'key',
      ]);

      const watch = op('post', '/executions/{id}/watches');
      expect(watch.requestBody?.content['application/json'].schema.required).toEqual(['key']);
      expect(codes(watch)['400']).toEqual(['BAD_CONDITION', 'VALIDATION_FAILED']);
      expect(codes(watch)['201']).toBe('The watch, with its id');
      const unwatch = op('delete', '/executions/{id}/watches/{watchId}');
      expect(codes(unwatch)['404']).toEqual(['EXECUTION_NOT_FOUND', 'WATCH_NOT_FOUND']);
      expect(body(unwatch, '200').properties?.removed.required).toEqual(['id', 'key']);

      const step = op('post', '/executions/{id}/step');
      expect(step.requestBody?.content['application/json'].schema).toMatchObject({
        required: ['mode'],
        properties: { mode: { enum: ['into', 'over', 'out', 'continue'] } },
      });
      expect(codes(step)['409']).toEqual(['EXECUTION_NOT_PAUSED', 'EXECUTION_STOPPED']);
      const view = body(step, '200');
      expect(view.required).toEqual(
        expect.arrayContaining(['paused', 'statuses', 'blackboard', 'breakpoints', 'watches']),
      );
      expect(view.properties?.pausedAt.properties?.reason.enum).toEqual([
        'breakpoint',
        'step',
        'watch',
        'request',
        'watchdog',
        'record_too_large',
      ]);
      expect(body(op('get', '/executions/{id}/debug'), '200')).toEqual(view);
    });

    it('shows that a tick may answer paused, and where', () => {
      const tick = body(op('post', '/executions/{id}/tick'), '200');
      expect(tick.required).toEqual(['tick', 'status', 'state']);
      expect(tick.properties?.pausedAt.required).toEqual(['tick', 'reason']);
      expect(tick.properties?.pausedAt.properties?.when.enum).toEqual(['before', 'after']);
    });
  });

  describe('live streams', () => {
    const id = 'streamed';
    const at = new Date(0).toISOString();
    const pausedAt: PausedAt = {
      tick: 3,
      reason: 'breakpoint',
      nodeId: '0.2.1',
      when: 'before',
      breakpointId: 'bp-1',
    };
    const watched: PausedAt = {
      tick: 3,
      reason: 'watch',
      nodeId: '0.1',
      when: 'after',
      status: 'SUCCESS',
      watchId: 'w-1',
    };
    const published = (
      [
        ['breakpoint_hit', { breakpointId: 'bp-1', nodeId: '0.2.1', when: 'before' }],
        ['execution_paused', { pausedAt }],
        ['execution_resumed', { mode: 'manual' }],
        [
          'watch_hit',
          { watchId: 'w-1', key: 'battery', oldValue: 30, value: 19, nodeId: '0.1', tick: 3 },
        ],
        ['execution_paused', { pausedAt: watched }],
        ['execution_resumed', { mode: 'manual' }],
      ] as const
    ).map(([type, data], seq) => ({ type, execId: id, tick: 3, seq, at, data }) as EventEnvelope);
    const last = published.length - 1;
    const events = (messages: StreamMessage[]) => messages.filter((m) => m.seq >= 0);

    it('carries breakpoint_hit, watch_hit, execution_paused and execution_resumed, filtered by type', async () => {
      runners.owner(id, [], { reply: execution(id, { state: 'paused', tick: 2 }) });
      await runners.ready();
      const base = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
      const ws = (query = '') =>
        openWs(`${base.replace(/^http/, 'ws')}/executions/${id}/ws${query}`);
      const all = await ws();
      const byQuery = await ws('?events=breakpoint_hit,execution_resumed');
      const byMessage = await ws();
      const sse = await openSse(
        `${base}/executions/${id}/events?events=execution_paused,execution_resumed&statuses=FAILURE`,
      );
      try {
        for (const c of [all, byQuery, byMessage, sse]) {
          await c.inbox.first('snapshot', (m) => m.type === 'snapshot');
        }
        // Node filters do not apply to the debugger's events, though they name nodes.
        byMessage.send({
          action: 'subscribe',
          events: ['watch_hit', 'execution_resumed'],
          filters: { nodeIds: ['elsewhere'] },
        });
        await byMessage.inbox.first('subscribed', (m) => m.type === 'subscribed');

        for (const event of published) {
          nc.publish(Subjects.event(id, event.type), JSON.stringify(event));
        }
        await nc.flush();
        // The last event published passes every filter here, and each stream keeps the order.
        for (const c of [all, byQuery, byMessage, sse]) {
          await c.inbox.first('the last event', (m) => m.seq === last);
        }
        const pick = (...seqs: number[]) => seqs.map((seq) => published[seq]);
        expect(events(all.inbox.messages)).toEqual(published);
        expect(events(byQuery.inbox.messages)).toEqual(pick(0, 2, 5));
        expect(events(byMessage.inbox.messages)).toEqual(pick(2, 3, 5));
        expect(events(sse.inbox.messages)).toEqual(
          pick(1, 2, 4, 5).map((e) => ({ ...e, id: `3-${e.seq}` })),
        );
        expect(all.inbox.messages[0]).toMatchObject({
          type: 'snapshot',
          data: { execution: { id, state: 'paused', tick: 2 } },
        });
      } finally {
        sse.close();
        await Promise.all([all.close(), byQuery.close(), byMessage.close()]);
      }
    });
  });
});
