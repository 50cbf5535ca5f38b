import { RedisKeys } from '@canopy/contracts';
import { loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { authHeaders, startRedis, TEST_ADMIN_KEY } from '@canopy/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { GatewayConfigSchema } from '../src/config';
import { createGateway } from '../src/service';
import { createTestGateway, type Harness, startHarness } from './gateway-harness';
import { type RunnerProcess, startRunner } from './runner-process';
import { openSse, openWs, RefusedError } from './stream-clients';

const SOURCE = `(tree "guarded" (sequence (set "n" 1) (wait :ms 600000)))`;
const JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const NONE = { authorization: '' };

/** The status a refused WebSocket upgrade got; the response is consumed so its socket closes. */
function refusedStatus(error: unknown): unknown {
  if (!(error instanceof RefusedError)) return error;
  error.response.resume();
  error.response.socket?.destroy();
  return error.status;
}

type Res = Awaited<ReturnType<NestFastifyApplication['inject']>>;
const json = (res: Res) => res.json<{ error?: { code: string } } & Record<string, unknown>>();

describe('gateway authentication and authorization', () => {
  let harness: Harness;
  let runner: RunnerProcess;
  let jwks: Server;
  let jwksKey: KeyLike;
  let base: string;
  const keys: Record<string, { key: string; id: string }> = {};

  beforeAll(async () => {
    // A JWKS served by a local HTTP server, the way an identity provider serves one.
    const pair = await generateKeyPair('RS256', { extractable: true });
    jwksKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((done) => jwks.listen(0, '127.0.0.1', done));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;

    harness = await startHarness({ JWT_SECRET, JWT_JWKS_URL: jwksUrl });
    runner = await startRunner({ nats: harness.nats.url, redis: harness.redis.url });
    await harness.gateway.listen({ port: 0, host: '127.0.0.1' });
    base = await harness.gateway.getUrl();

    expect((await call('POST', '/trees', { source: SOURCE })).statusCode).toBe(201);
    for (const [name, body] of Object.entries({
      viewer: { role: 'viewer' },
      operator: { role: 'operator' },
      admin: { role: 'admin', name: 'second admin' },
      red: { role: 'operator', teams: ['red'] },
      redAdmin: { role: 'admin', teams: ['red'] },
    })) {
      const res = await call('POST', '/keys', body);
      expect(res.statusCode).toBe(201);
      keys[name] = { key: json(res).key as string, id: json(res).id as string };
    }
    for (const [id, team] of [
      ['e-red', 'red'],
      ['e-blue', 'blue'],
    ]) {
      expect((await call('POST', '/executions', { tree: 'guarded', id, team })).statusCode).toBe(
        201,
      );
    }
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await harness?.dispose();
    jwks?.closeAllConnections();
    await new Promise((done) => jwks?.close(done));
  }, 60_000);

  /** A request as `key` (the test admin key by default; NONE for no credentials). */
  function call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = authHeaders(),
  ): Promise<Res> {
    return harness.gateway.inject({
      method,
      url,
      headers: {
        ...headers,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  }
  const keyOf = (name: string): string => {
    const entry = keys[name];
    if (!entry) throw new Error(`no key ${name}`);
    return entry.key;
  };
  const as = (name: string) => authHeaders(keyOf(name));

  describe('every route', () => {
    it('refuses every documented route without credentials (401 UNAUTHENTICATED), but the probes', async () => {
      const doc = json(await call('GET', '/openapi.json', undefined, NONE)) as unknown as {
        paths: Record<string, Record<string, { 'x-canopy-role'?: string; security?: unknown[] }>>;
      };
      const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
      );
      // Nothing hides the new routes from this test: it walks the gateway's own route table.
      expect(operations.length).toBeGreaterThan(40);
      for (const { path, method, op } of operations) {
        const url = path.replace(/\{[^}]+\}/g, (name) => (name === '{scope}' ? 'global' : 'x1'));
        const res = await call(method as 'GET', url, undefined, NONE);
        if (path === '/healthz' || path === '/readyz') {
          expect({ path, status: res.statusCode }).toEqual({ path, status: 200 });
          continue;
        }
        expect({
          route: `${method} ${path}`,
          status: res.statusCode,
          code: json(res).error?.code,
        }).toEqual({
          route: `${method} ${path}`,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
        // Every one is documented with a role, its security schemes and the auth errors.
        expect(op['x-canopy-role']).toMatch(/^(viewer|operator|admin)$/);
        expect(op.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
      }
    });

    it('documents the security schemes and the auth errors in OpenAPI', async () => {
      const doc = json(await call('GET', '/openapi.json', undefined, NONE)) as unknown as {
        components: { securitySchemes: Record<string, unknown> };
        paths: Record<
          string,
          Record<string, { responses: Record<string, { description: string }> }>
        >;
      };
      expect(doc.components.securitySchemes).toEqual({
        bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      });
      const tick = doc.paths['/executions/{id}/trigger']?.post?.responses ?? {};
      expect(tick['401']?.description).toBe('UNAUTHENTICATED');
      expect(tick['403']?.description).toBe('FORBIDDEN');
      expect(tick['429']?.description).toBe('EVENT_QUEUE_FULL, RATE_LIMITED');
    });

    it('refuses a wrong key and a malformed Authorization header', async () => {
      for (const headers of [
        authHeaders('cnpy_notakey'),
        { 'x-api-key': 'nonsense' },
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: `Bearer ${TEST_ADMIN_KEY}x` },
      ]) {
        const res = await call('GET', '/trees', undefined, headers);
        expect({ status: res.statusCode, code: json(res).error?.code }).toEqual({
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    });

    it('accepts a key as X-API-Key as well as a bearer token', async () => {
      expect(
        (await call('GET', '/trees', undefined, { 'x-api-key': keyOf('viewer') })).statusCode,
      ).toBe(200);
    });

    it('answers an unknown route 401 without credentials and 404 with them', async () => {
      expect((await call('GET', '/nowhere', undefined, NONE)).statusCode).toBe(401);
      expect((await call('GET', '/nowhere')).statusCode).toBe(404);
    });

    it('serves the docs page publicly, with security headers', async () => {
      const page = await call('GET', '/docs', undefined, NONE);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
      // CORS is off by default: no browser origin is allowed.
      const cors = await call('GET', '/trees', undefined, {
        ...authHeaders(),
        origin: 'https://evil.example',
      });
      expect(cors.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('roles', () => {
    const expectStatus = async (
      who: string,
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      status: number,
      payload?: unknown,
    ) => {
      const res = await call(method, url, payload, as(who));
      expect({
        who,
        route: `${method} ${url}`,
        status: res.statusCode,
        ...(status === 403 ? { code: json(res).error?.code } : {}),
      }).toEqual({
        who,
        route: `${method} ${url}`,
        status,
        ...(status === 403 ? { code: 'FORBIDDEN' } : {}),
      });
    };

    it('lets a viewer read and nothing else', async () => {
      await expectStatus('viewer', 'GET', '/trees', 200);
      await expectStatus('viewer', 'GET', '/executions/e-red', 200);
      await expectStatus('viewer', 'GET', '/executions/e-red/debug', 200);
      await expectStatus('viewer', 'GET', '/blackboard/global', 200);
      await expectStatus('viewer', 'POST', '/executions/e-red/tick', 403, { count: 1 });
      await expectStatus('viewer', 'POST', '/executions', 403, { tree: 'guarded' });
      await expectStatus('viewer', 'PUT', '/blackboard/team:red/keys/x', 403, { value: 1 });
      await expectStatus('viewer', 'POST', '/trees', 403, { source: SOURCE });
      await expectStatus('viewer', 'GET', '/keys', 403);
    });

    it('lets an operator run and debug, but not register trees, write global or manage keys', async () => {
      await expectStatus('operator', 'POST', '/executions', 201, { tree: 'guarded', id: 'e-op' });
      await expectStatus('operator', 'POST', '/executions/e-op/tick', 200, { count: 1 });
      await expectStatus('operator', 'POST', '/executions/e-op/breakpoints', 201, {
        nodeId: '0.1',
      });
      await expectStatus('operator', 'PUT', '/blackboard/team:red/keys/x', 200, { value: 1 });
      await expectStatus('operator', 'DELETE', '/executions/e-op', 200);
      await expectStatus('operator', 'POST', '/trees', 403, { source: SOURCE });
      await expectStatus('operator', 'PUT', '/executions/e-red/tree', 403, { source: SOURCE });
      await expectStatus('operator', 'PUT', '/blackboard/global/keys/x', 403, { value: 1 });
      await expectStatus('operator', 'GET', '/keys', 403);
    });

    it('lets an admin register trees, write the global scope and manage keys', async () => {
      await expectStatus('admin', 'POST', '/trees', 201, { source: SOURCE });
      await expectStatus('admin', 'PUT', '/blackboard/global/keys/x', 200, { value: 1 });
      await expectStatus('admin', 'GET', '/keys', 200);
    });
  });

  describe('teams', () => {
    it("lists, reads and ticks only the executions of the key's teams; others are 404", async () => {
      const list = await call('GET', '/executions', undefined, as('red'));
      expect((list.json() as { id: string }[]).map((e) => e.id)).toEqual(['e-red']);
      const all = (await call('GET', '/executions')).json() as { id: string }[];
      expect(all.map((e) => e.id).sort()).toEqual(['e-blue', 'e-red']);

      expect((await call('GET', '/executions/e-red', undefined, as('red'))).statusCode).toBe(200);
      expect(
        (await call('POST', '/executions/e-red/tick', { count: 1 }, as('red'))).statusCode,
      ).toBe(200);
      for (const [method, url] of [
        ['GET', '/executions/e-blue'],
        ['POST', '/executions/e-blue/tick'],
        ['GET', '/executions/e-blue/history'],
        ['DELETE', '/executions/e-blue'],
      ] as const) {
        const res = await call(
          method,
          url,
          method === 'POST' ? { count: 1 } : undefined,
          as('red'),
        );
        expect({ url, status: res.statusCode, code: json(res).error?.code }).toEqual({
          url,
          status: 404,
          code: 'EXECUTION_NOT_FOUND',
        });
      }
      // Nothing happened to the other team's execution.
      expect(((await call('GET', '/executions/e-blue')).json() as { tick: number }).tick).toBe(0);
    });

    it("creates executions only in the key's teams", async () => {
      expect(
        (await call('POST', '/executions', { tree: 'guarded', team: 'blue' }, as('red')))
          .statusCode,
      ).toBe(403);
      expect((await call('POST', '/executions', { tree: 'guarded' }, as('red'))).statusCode).toBe(
        403,
      );
      const ok = await call(
        'POST',
        '/executions',
        { tree: 'guarded', team: 'red', id: 'e-red-2' },
        as('red'),
      );
      expect(ok.statusCode).toBe(201);
      expect((await call('DELETE', '/executions/e-red-2', undefined, as('red'))).statusCode).toBe(
        200,
      );
    });

    it('keeps a team key to its team: scopes, reads global, never writes it, never manages keys', async () => {
      expect(
        (await call('PUT', '/blackboard/team:red/keys/k', { value: 2 }, as('red'))).statusCode,
      ).toBe(200);
      expect((await call('GET', '/blackboard/team:red', undefined, as('red'))).statusCode).toBe(
        200,
      );
      expect((await call('GET', '/blackboard/team:blue', undefined, as('red'))).statusCode).toBe(
        403,
      );
      expect(
        (await call('PUT', '/blackboard/team:blue/keys/k', { value: 2 }, as('red'))).statusCode,
      ).toBe(403);
      expect((await call('GET', '/blackboard/exec:e-red', undefined, as('red'))).statusCode).toBe(
        200,
      );
      expect((await call('GET', '/blackboard/exec:e-blue', undefined, as('red'))).statusCode).toBe(
        403,
      );
      expect((await call('GET', '/blackboard/global', undefined, as('red'))).statusCode).toBe(200);
      // Even an admin key limited to a team cannot change what every team shares.
      expect(
        (await call('PUT', '/blackboard/global/keys/k', { value: 2 }, as('redAdmin'))).statusCode,
      ).toBe(403);
      expect((await call('POST', '/trees', { source: SOURCE }, as('redAdmin'))).statusCode).toBe(
        403,
      );
      expect((await call('GET', '/keys', undefined, as('redAdmin'))).statusCode).toBe(403);
    });
  });

  describe('live streams', () => {
    it('refuses a WebSocket and an SSE stream without a token', async () => {
      const ws = await openWs(`${base.replace('http', 'ws')}/executions/e-red/ws`, {}).then(
        () => 'open',
        refusedStatus,
      );
      expect(ws).toBe(401);
      const sse = await openSse(`${base}/executions/e-red/events`, {});
      sse.close();
      expect(sse.status).toBe(401);
    });

    it('takes the token from access_token or the WebSocket subprotocol', async () => {
      const wsUrl = `${base.replace('http', 'ws')}/executions/e-red/ws`;
      const byQuery = await openWs(`${wsUrl}?access_token=${keyOf('viewer')}`, {});
      await byQuery.inbox.first('snapshot', (m) => m.type === 'snapshot');
      await byQuery.close();
      const byProtocol = await openWs(wsUrl, {}, ['canopy', `canopy.bearer.${keyOf('viewer')}`]);
      // The server picks the plain `canopy` protocol: the token is not echoed back.
      expect(byProtocol.ws.protocol).toBe('canopy');
      await byProtocol.inbox.first('snapshot', (m) => m.type === 'snapshot');
      await byProtocol.close();
      const sse = await openSse(
        `${base}/executions/e-red/events?access_token=${keyOf('viewer')}`,
        {},
      );
      expect(sse.status).toBe(200);
      await sse.inbox.first('snapshot', (m) => m.type === 'snapshot');
      sse.close();
      // Outside the stream routes a token in the URL is not accepted.
      expect(
        (await call('GET', `/trees?access_token=${keyOf('viewer')}`, undefined, NONE)).statusCode,
      ).toBe(401);
    });

    it("hides another team's execution from a team key's stream", async () => {
      const refused = await openWs(
        `${base.replace('http', 'ws')}/executions/e-blue/ws`,
        as('red'),
      ).then(() => 'open', refusedStatus);
      expect(refused).toBe(404);
    });
  });

  describe('JWT', () => {
    const hs256 = (
      claims: Record<string, unknown>,
      secret = JWT_SECRET,
      exp: string | number = '5m',
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    it('accepts a valid HS256 token with its role and teams', async () => {
      const token = await hs256({ role: 'operator', teams: ['red'] });
      expect(
        (await call('POST', '/executions/e-red/tick', { count: 1 }, bearer(token))).statusCode,
      ).toBe(200);
      expect((await call('GET', '/executions/e-blue', undefined, bearer(token))).statusCode).toBe(
        404,
      );
      expect((await call('POST', '/trees', { source: SOURCE }, bearer(token))).statusCode).toBe(
        403,
      );
    });

    it('refuses an expired token, a wrong signature and a token without a role', async () => {
      for (const token of [
        await hs256({ role: 'admin' }, JWT_SECRET, Math.floor(Date.now() / 1000) - 60),
        await hs256({ role: 'admin' }, 'another-secret-that-is-also-long-enough-x'),
        await hs256({ teams: ['red'] }),
        await hs256({ role: 'root' }),
      ]) {
        const res = await call('GET', '/trees', undefined, bearer(token));
        expect({ status: res.statusCode, code: json(res).error?.code }).toEqual({
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    });

    it('accepts a token signed by a key of the JWKS, and refuses one signed by another key', async () => {
      const sign = (key: KeyLike, kid: string) =>
        new SignJWT({ role: 'viewer' })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setSubject('bob')
          .setExpirationTime('5m')
          .sign(key);
      expect(
        (await call('GET', '/trees', undefined, bearer(await sign(jwksKey, 'k1')))).statusCode,
      ).toBe(200);
      const stranger = await generateKeyPair('RS256');
      expect(
        (await call('GET', '/trees', undefined, bearer(await sign(stranger.privateKey, 'k1'))))
          .statusCode,
      ).toBe(401);
    });
  });

  describe('keys', () => {
    it('stores only the hash of a key, lists keys without them, and revokes at once', async () => {
      const created = json(await call('POST', '/keys', { role: 'viewer', name: 'ci' }));
      const key = created.key as string;
      expect(key).toMatch(/^cnpy_[A-Za-z0-9_-]{43}$/);
      expect((await call('GET', '/trees', undefined, authHeaders(key))).statusCode).toBe(200);

      // Redis holds the SHA-256 of the key and never the key.
      const redis = new Redis(harness.redis.url);
      try {
        const hash = createHash('sha256').update(key).digest('hex');
        expect(await redis.hget(RedisKeys.apiKey(hash), 'role')).toBe('viewer');
        const everything: string[] = [];
        for (const name of await redis.keys('*')) {
          everything.push(name);
          if ((await redis.type(name)) === 'hash')
            everything.push(...Object.values(await redis.hgetall(name)));
          if ((await redis.type(name)) === 'string') everything.push((await redis.get(name)) ?? '');
        }
        expect(everything.some((value) => value.includes(key))).toBe(false);
        expect(everything.some((value) => value.includes(TEST_ADMIN_KEY))).toBe(false);
      } finally {
        redis.disconnect();
      }

      const listed = (await call('GET', '/keys')).json() as Record<string, unknown>[];
      expect(listed).toContainEqual({
        id: created.id,
        role: 'viewer',
        name: 'ci',
        createdAt: created.createdAt,
      });
      expect(JSON.stringify(listed)).not.toContain('cnpy_');

      expect((await call('DELETE', `/keys/${created.id as string}`)).json()).toEqual({
        revoked: true,
      });
      const after = await call('GET', '/trees', undefined, authHeaders(key));
      expect({ status: after.statusCode, code: json(after).error?.code }).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect((await call('DELETE', `/keys/${created.id as string}`)).statusCode).toBe(404);
      expect((await call('POST', '/keys', { role: 'root' })).statusCode).toBe(400);
    });
  });

  describe('with other settings', () => {
    let other: NestFastifyApplication | undefined;
    afterEach(async () => {
      await other?.close();
      other = undefined;
    });

    it('limits each key: 429 RATE_LIMITED with Retry-After, other keys unaffected', async () => {
      const limited3 = await createTestGateway({
        NATS_URL: harness.nats.url,
        REDIS_URL: harness.redis.url,
        RATE_LIMIT_MAX: '3',
        RATE_LIMIT_WINDOW_MS: '60000',
      });
      other = limited3;
      const get = (headers: Record<string, string>) =>
        limited3.inject({ method: 'GET', url: '/trees', headers });
      // Fresh keys: the counters are per key in Redis, shared by every gateway replica.
      const [one, two] = await Promise.all(
        [1, 2].map(async () => json(await call('POST', '/keys', { role: 'viewer' })).key as string),
      );
      for (let i = 0; i < 3; i++) expect((await get(authHeaders(one))).statusCode).toBe(200);
      const limited = await get(authHeaders(one));
      expect({ status: limited.statusCode, code: json(limited).error?.code }).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
      });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await get(authHeaders(two))).statusCode).toBe(200);
    });

    it('refuses a route that declares no access rule, even to an admin (default deny)', async () => {
      const gateway = await createTestGateway({
        NATS_URL: harness.nats.url,
        REDIS_URL: harness.redis.url,
      });
      other = gateway;
      // A route added the way a careless change would: no @Access.
      gateway
        .getHttpAdapter()
        .getInstance()
        .get('/undeclared', () => ({ open: true }));
      const res = await gateway.inject({ method: 'GET', url: '/undeclared' });
      expect({ status: res.statusCode, code: json(res).error?.code }).toEqual({
        status: 403,
        code: 'FORBIDDEN',
      });
      expect(
        (await gateway.inject({ method: 'GET', url: '/undeclared', headers: NONE })).statusCode,
      ).toBe(401);
    });

    it('while Redis is away: stored keys answer 503, the admin key goes on uncounted', async () => {
      const redis = await startRedis();
      try {
        const gateway = await createTestGateway({
          NATS_URL: harness.nats.url,
          REDIS_URL: redis.url,
          RATE_LIMIT_MAX: '1000',
        });
        other = gateway;
        const created = await gateway.inject({
          method: 'POST',
          url: '/keys',
          payload: { role: 'viewer' },
        });
        const stored = json(created).key as string;
        expect(
          (
            await gateway.inject({
              method: 'GET',
              url: '/executions',
              headers: authHeaders(stored),
            })
          ).statusCode,
        ).toBe(200);
        await redis.stop();
        const refused = await gateway.inject({
          method: 'GET',
          url: '/executions',
          headers: authHeaders(stored),
        });
        expect({ status: refused.statusCode, code: json(refused).error?.code }).toEqual({
          status: 503,
          code: 'DEPENDENCY_UNAVAILABLE',
        });
        expect(refused.headers['retry-after']).toBeDefined();
        expect((await gateway.inject({ method: 'GET', url: '/executions' })).statusCode).toBe(200);
      } finally {
        await redis.dispose();
      }
    });

    it('allows the configured CORS origins only', async () => {
      other = await createTestGateway({
        NATS_URL: harness.nats.url,
        REDIS_URL: harness.redis.url,
        CORS_ORIGINS: 'https://studio.example',
      });
      const preflight = await other.inject({
        method: 'OPTIONS',
        url: '/trees',
        headers: {
          authorization: '',
          origin: 'https://studio.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://studio.example');
      const stranger = await other.inject({
        method: 'GET',
        url: '/trees',
        headers: { origin: 'https://evil.example' },
      });
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('turns auth off only with CANOPY_AUTH=off, and says so in the log', async () => {
      const lines: string[] = [];
      const destination = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          lines.push(String(chunk));
          done();
        },
      });
      const config = { NATS_URL: harness.nats.url, REDIS_URL: harness.redis.url, PORT: '0' };
      expect(() => loadConfig(GatewayConfigSchema, { ...config, CANOPY_AUTH: 'of' })).toThrow(
        /CANOPY_AUTH/,
      );
      other = await createGateway(
        loadConfig(GatewayConfigSchema, { ...config, CANOPY_AUTH: 'off' }),
        createLogger('auth-off', { level: 'info', destination }),
      );
      expect(
        (await other.inject({ method: 'POST', url: '/trees', payload: { source: SOURCE } }))
          .statusCode,
      ).toBe(201);
      expect(
        lines.some(
          (line) => line.includes('"level":"warn"') && line.includes('authentication is OFF'),
        ),
      ).toBe(true);
    });

    it('keeps access_token out of the request log', async () => {
      const lines: string[] = [];
      const destination = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          lines.push(String(chunk));
          done();
        },
      });
      other = await createGateway(
        loadConfig(GatewayConfigSchema, {
          NATS_URL: harness.nats.url,
          REDIS_URL: harness.redis.url,
          PORT: '0',
          CANOPY_ADMIN_KEY: TEST_ADMIN_KEY,
        }),
        createLogger('redact', { level: 'info', destination }),
      );
      const res = await other.inject({
        method: 'GET',
        url: `/executions/nope/events?access_token=${keyOf('viewer')}`,
      });
      expect(res.statusCode).toBe(404);
      const logged = lines.find(
        (line) => line.includes('request completed') && line.includes('/events'),
      );
      expect(logged).toContain('access_token=[REDACTED]');
      expect(lines.join('\n')).not.toContain(keyOf('viewer'));
    });
  });
});
