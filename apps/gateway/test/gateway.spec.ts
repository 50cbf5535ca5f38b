import { Subjects } from '@canopy/contracts';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Harness, startHarness } from './gateway-harness';

type InjectOptions = Parameters<NestFastifyApplication['inject']>[0];

describe('gateway', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      BODY_LIMIT_BYTES: '2048',
      OWNER_RETRY_BUDGET_MS: '200',
      RETRY_AFTER_SECONDS: '7',
    });
  });

  afterAll(() => harness?.dispose());

  const request = async (opts: InjectOptions) => {
    const res = await harness.gateway.inject(opts);
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body ? res.json() : undefined,
    };
  };
  const json = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
    request({
      method,
      url,
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });

  describe('blackboard routes, served by the real blackboard service', () => {
    it('writes, reads, lists, compare-and-sets and deletes keys', async () => {
      const key = '/blackboard/team:t1/keys/robot/pose';
      expect(await json('PUT', key, { value: { x: 1 } })).toMatchObject({
        status: 200,
        body: { scope: 'team:t1', key: 'robot/pose', value: { x: 1 }, version: 1 },
      });
      await json('PUT', '/blackboard/team:t1/keys/robot/battery', { value: 90 });
      await json('PUT', '/blackboard/team:t1/keys/mission', { value: 'patrol' });

      // An encoded colon is the same scope.
      expect(
        await request({ method: 'GET', url: '/blackboard/team%3At1/keys/robot/pose' }),
      ).toMatchObject({
        status: 200,
        body: { value: { x: 1 }, version: 1 },
      });
      const listed = await request({ method: 'GET', url: '/blackboard/team:t1?prefix=robot/' });
      expect(listed.status).toBe(200);
      expect(listed.body.map((e: { key: string }) => e.key)).toEqual([
        'robot/battery',
        'robot/pose',
      ]);

      const conflict = await json('PUT', key, { value: { x: 2 }, version: 0 });
      expect(conflict).toMatchObject({
        status: 409,
        body: { error: { code: 'VERSION_CONFLICT', details: { currentVersion: 1 } } },
      });
      expect(await json('PUT', key, { value: { x: 2 }, version: 1 })).toMatchObject({
        status: 200,
        body: { value: { x: 2 }, version: 2 },
      });
      expect(await request({ method: 'DELETE', url: `${key}?version=1` })).toMatchObject({
        status: 409,
        body: { error: { code: 'VERSION_CONFLICT', details: { currentVersion: 2 } } },
      });
      expect(await request({ method: 'DELETE', url: `${key}?version=2` })).toEqual({
        status: 200,
        headers: expect.anything(),
        body: { deleted: true, version: 3 },
      });
      expect(await request({ method: 'GET', url: key })).toMatchObject({
        status: 404,
        body: { error: { code: 'KEY_NOT_FOUND' } },
      });
    });

    it('stores any JSON value, null included', async () => {
      expect(await json('PUT', '/blackboard/global/keys/nothing', { value: null })).toMatchObject({
        status: 200,
        body: { value: null, version: 1 },
      });
    });
  });

  describe('validation', () => {
    it('answers 400 VALIDATION_FAILED listing every field error of a body', async () => {
      const res = await json('POST', '/executions', {
        tree: 'bad name',
        mode: 'sometimes',
        maxTicks: -1,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual([
        'tree',
        'mode',
        'maxTicks',
      ]);
    });

    it('validates path and query parameters', async () => {
      const version = await request({ method: 'GET', url: '/trees/bad%20name/versions/zero' });
      expect(version.status).toBe(400);
      expect(version.body.error.fields.map((f: { field: string }) => f.field).sort()).toEqual([
        'name',
        'v',
      ]);
      expect(await request({ method: 'GET', url: '/blackboard/planet:mars/keys/a' })).toMatchObject(
        {
          status: 400,
          body: { error: { code: 'VALIDATION_FAILED', fields: [{ field: 'scope' }] } },
        },
      );
      expect(await request({ method: 'GET', url: '/executions?limit=0' })).toMatchObject({
        status: 400,
        body: { error: { fields: [{ field: 'limit' }] } },
      });
      expect(
        await request({ method: 'DELETE', url: '/blackboard/global/keys/a?version=-1' }),
      ).toMatchObject({
        status: 400,
        body: { error: { fields: [{ field: 'version' }] } },
      });
    });

    it('requires exactly one of source or definition for a tree', async () => {
      const both = await json('POST', '/trees', { source: '(tree t (succeed))', definition: {} });
      expect(both).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    });

    it('requires a value to write a key, and a positive tick count', async () => {
      expect(await json('PUT', '/blackboard/global/keys/a', { version: 1 })).toMatchObject({
        status: 400,
        body: { error: { fields: [{ field: 'value' }] } },
      });
      expect(await json('POST', '/executions/e1/tick', { count: 0 })).toMatchObject({
        status: 400,
        body: { error: { fields: [{ field: 'count' }] } },
      });
    });

    it('answers malformed JSON with 400 BAD_JSON and an oversized body with 413', async () => {
      const bad = await request({
        method: 'POST',
        url: '/executions',
        payload: '{"tree":',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'BAD_JSON' } } });
      const big = await json('PUT', '/blackboard/global/keys/big', { value: 'x'.repeat(4096) });
      expect(big).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    });

    it('answers an unknown route with 404 NOT_FOUND', async () => {
      expect(await request({ method: 'GET', url: '/nowhere' })).toMatchObject({
        status: 404,
        body: { error: { code: 'NOT_FOUND' } },
      });
    });
  });

  describe('with no runner', () => {
    it('answers owner commands 503 OWNER_UNAVAILABLE with Retry-After after retrying', async () => {
      for (const [url, payload] of [
        ['/executions/e1/tick', { count: 2 }],
        ['/executions/e1/start', { mode: 'auto' }],
        ['/executions/e1/pause', undefined],
        ['/executions/e1/resume', undefined],
        ['/executions/e1/stop', undefined],
      ] as const) {
        const res = payload
          ? await json('POST', url, payload)
          : await request({ method: 'POST', url });
        expect(res).toMatchObject({ status: 503, body: { error: { code: 'OWNER_UNAVAILABLE' } } });
        expect(res.headers['retry-after']).toBe('7');
      }
    });

    it('accepts a tick without a body (count defaults to 1)', async () => {
      expect(await request({ method: 'POST', url: '/executions/e1/tick' })).toMatchObject({
        status: 503,
      });
    });

    it('answers runner-served routes 503 DEPENDENCY_UNAVAILABLE with Retry-After', async () => {
      for (const res of [
        await request({ method: 'GET', url: '/executions' }),
        await request({ method: 'GET', url: '/executions/e1' }),
        await request({ method: 'DELETE', url: '/executions/e1' }),
        await json('POST', '/executions', { tree: 'patrol' }),
        await request({ method: 'GET', url: '/trees' }),
        await request({ method: 'GET', url: '/trees/patrol/versions/2' }),
        await json('POST', '/trees', { source: '(tree patrol (succeed))' }),
      ]) {
        expect(res).toMatchObject({
          status: 503,
          body: { error: { code: 'DEPENDENCY_UNAVAILABLE' } },
        });
        expect(res.headers['retry-after']).toBe('7');
      }
    });
  });

  describe('tracing', () => {
    let spy: NatsConnection;

    beforeAll(async () => {
      spy = await connect({ servers: harness.nats.url });
    });

    afterAll(() => spy?.close());

    it('starts one trace per request and carries it into the NATS request', async () => {
      // A plain subscriber gets a copy of each request next to the blackboard's queue group.
      const seen = new Promise<string | undefined>((resolve) => {
        spy.subscribe(Subjects.bbGet, {
          max: 1,
          callback: (_err, msg) => resolve(msg.headers?.get('traceparent')),
        });
      });
      await spy.flush();
      const res = await request({ method: 'GET', url: '/blackboard/global/keys/missing' });
      expect(res.status).toBe(404);
      const traceId = res.headers['x-trace-id'];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(await seen).toContain(`-${String(traceId)}-`);
    });
  });

  describe('OpenAPI', () => {
    it('documents every route at /openapi.json', async () => {
      const { status, body } = await request({ method: 'GET', url: '/openapi.json' });
      expect(status).toBe(200);
      const routes = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(
        ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes.sort()).toEqual(
        [
          'GET /healthz',
          'GET /readyz',
          'POST /trees',
          'POST /trees/check',
          'GET /trees',
          'GET /trees/{name}',
          'GET /trees/{name}/versions/{v}',
          'POST /executions',
          'GET /executions',
          'GET /executions/{id}',
          'DELETE /executions/{id}',
          'POST /executions/{id}/tick',
          'POST /executions/{id}/start',
          'POST /executions/{id}/pause',
          'POST /executions/{id}/resume',
          'POST /executions/{id}/stop',
          'PUT /executions/{id}/tree',
          'POST /executions/{id}/trigger',
          'GET /executions/{id}/debug',
          'POST /executions/{id}/step',
          'GET /executions/{id}/breakpoints',
          'POST /executions/{id}/breakpoints',
          'DELETE /executions/{id}/breakpoints/{nodeId}',
          'GET /executions/{id}/watches',
          'POST /executions/{id}/watches',
          'DELETE /executions/{id}/watches/{watchId}',
          'GET /blackboard/{scope}',
          'GET /blackboard/{scope}/keys/{key}',
          'PUT /blackboard/{scope}/keys/{key}',
          'DELETE /blackboard/{scope}/keys/{key}',
          'GET /trees/{name}/visualize',
          'GET /executions/{id}/visualize',
          'GET /executions/{id}/events',
          'GET /events',
          'POST /keys',
          'GET /keys',
          'DELETE /keys/{id}',
          'GET /executions/{id}/history',
          'GET /executions/{id}/history/diff',
          'GET /executions/{id}/history/{tick}',
          'DELETE /executions/{id}/history',
          'POST /executions/{id}/fork',
          'GET /executions/{id}/stats',
          'GET /executions/{id}/stats/nodes',
          'GET /executions/{id}/stats/timeline',
          'GET /executions/{id}/stats/blackboard',
          'GET /executions/{id}/progress',
        ].sort(),
      );
    });

    it('derives bodies from the contracts and documents error responses', async () => {
      const { body } = await request({ method: 'GET', url: '/openapi.json' });
      const create = body.paths['/executions'].post;
      const schema = create.requestBody.content['application/json'].schema;
      expect(schema.required).toEqual(['tree']);
      expect(schema.properties.mode.enum).toEqual(['manual', 'auto', 'interval', 'event']);
      expect(Object.keys(create.responses)).toEqual(
        expect.arrayContaining(['201', '400', '404', '503']),
      );
      const put = body.paths['/blackboard/{scope}/keys/{key}'].put;
      expect(
        put.responses['409'].content['application/json'].schema.properties.error,
      ).toBeDefined();
    });

    it('serves Swagger UI at /docs', async () => {
      const page = await harness.gateway.inject({ method: 'GET', url: '/docs' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('swagger-ui-init.js');
      // The UI starts on the same document /openapi.json serves.
      const init = await harness.gateway.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' });
      expect(init.statusCode).toBe(200);
      expect(init.body).toContain('ExecutionControlController_tick');
      const asset = await harness.gateway.inject({
        method: 'GET',
        url: '/docs/swagger-ui-bundle.js',
      });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['content-type']).toContain('javascript');
    });
  });

  describe('with the blackboard service gone', () => {
    it('answers blackboard routes 503 DEPENDENCY_UNAVAILABLE', async () => {
      await harness.blackboard.close();
      const res = await request({ method: 'GET', url: '/blackboard/global' });
      expect(res).toMatchObject({
        status: 503,
        body: { error: { code: 'DEPENDENCY_UNAVAILABLE' } },
      });
      expect(res.headers['retry-after']).toBe('7');
    });
  });
});
