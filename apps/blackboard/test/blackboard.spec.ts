import {
  type BlackboardChanged,
  BlackboardChangedSchema,
  type BlackboardEntry,
  type ErrorBody,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
  Subjects,
} from '@canopy/contracts';
import { createLogger, NatsRequestError, TracedNats } from '@canopy/telemetry';
import { type NatsHandle, type RedisHandle, startNats, startRedis } from '@canopy/testing';
import { connect } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { once } from 'node:events';
import { startBlackboard } from './blackboard-app';

describe('blackboard service', () => {
  let nats: NatsHandle;
  let redis: RedisHandle;
  let app: NestFastifyApplication;
  let client: TracedNats;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis({ appendonly: true })]);
    app = await startBlackboard(nats.url, redis.url);
    client = new TracedNats(await connect({ servers: nats.url }), undefined, {
      logger: createLogger('blackboard-spec-client', { level: 'silent' }),
    });
  });

  afterAll(async () => {
    await client?.drain();
    await app?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  const call = <S extends RequestSubject>(subject: S, req: RequestOf<S>): Promise<ReplyOf<S>> =>
    client.request<ReplyOf<S>>(subject, req, { timeoutMs: 5000 });

  /** The error body a request was answered with (fails the test if it succeeded). */
  async function errorOf(subject: RequestSubject, req: unknown): Promise<ErrorBody['error']> {
    try {
      await client.request(subject, req, { timeoutMs: 5000 });
    } catch (error) {
      if (error instanceof NatsRequestError && error.failure === 'remote')
        return error.toBody().error;
      throw error;
    }
    throw new Error(`${subject} succeeded, expected an error reply`);
  }

  /** Resolves with the next `count` change events of a scope. */
  function changesOf(scope: string, count: number): Promise<BlackboardChanged[]> {
    const seen: BlackboardChanged[] = [];
    return new Promise((resolve) => {
      const sub = client.subscribe<BlackboardChanged>(Subjects.bbChanged(scope), (change) => {
        seen.push(change);
        if (seen.length === count) {
          sub.unsubscribe();
          resolve(seen);
        }
      });
    });
  }

  it('puts, gets, lists by prefix and deletes keys, bumping the version on every write', async () => {
    const scope = 'team:crud';
    await expect(call(Subjects.bbPut, { scope, key: 'robot.battery', value: 80 })).resolves.toEqual(
      {
        scope,
        key: 'robot.battery',
        value: 80,
        version: 1,
      },
    );
    await call(Subjects.bbPut, { scope, key: 'robot.battery', value: 75 });
    await call(Subjects.bbPut, { scope, key: 'robot.pose', value: { x: 1, y: 2 } });
    await call(Subjects.bbPut, { scope, key: 'mission', value: null });

    await expect(call(Subjects.bbGet, { scope, key: 'robot.battery' })).resolves.toEqual({
      scope,
      key: 'robot.battery',
      value: 75,
      version: 2,
    });
    const robot = await call(Subjects.bbList, { scope, prefix: 'robot.' });
    expect(robot.entries.map((e: BlackboardEntry) => [e.key, e.value, e.version])).toEqual([
      ['robot.battery', 75, 2],
      ['robot.pose', { x: 1, y: 2 }, 1],
    ]);
    expect((await call(Subjects.bbList, { scope })).entries.map((e: BlackboardEntry) => e.key)).toEqual([
      'mission',
      'robot.battery',
      'robot.pose',
    ]);

    await expect(call(Subjects.bbDelete, { scope, key: 'robot.battery' })).resolves.toEqual({
      deleted: true,
      version: 3,
    });
    expect(await errorOf(Subjects.bbGet, { scope, key: 'robot.battery' })).toMatchObject({
      code: 'KEY_NOT_FOUND',
    });
    expect(await errorOf(Subjects.bbDelete, { scope, key: 'robot.battery' })).toMatchObject({
      code: 'KEY_NOT_FOUND',
    });
    // The version survives the delete, so a re-created key never goes back to version 1.
    await expect(
      call(Subjects.bbPut, { scope, key: 'robot.battery', value: 100 }),
    ).resolves.toMatchObject({
      version: 4,
    });
  });

  it('matches a list prefix literally, not as a glob', async () => {
    const scope = 'team:glob';
    await call(Subjects.bbPut, { scope, key: 'a?b', value: 1 });
    await call(Subjects.bbPut, { scope, key: 'axb', value: 2 });
    await call(Subjects.bbPut, { scope, key: '[x]', value: 3 });
    expect(
      (await call(Subjects.bbList, { scope, prefix: 'a?' })).entries.map((e: BlackboardEntry) => e.key),
    ).toEqual(['a?b']);
    expect(
      (await call(Subjects.bbList, { scope, prefix: '[' })).entries.map((e: BlackboardEntry) => e.key),
    ).toEqual(['[x]']);
    await expect(call(Subjects.bbList, { scope: 'team:empty' })).resolves.toEqual({ entries: [] });
  });

  it('lists a scope larger than one NATS message in pages, every entry once and in order', async () => {
    const scope = 'team:big';
    // Five values of 400,000 characters: 2 MB in all, twice a NATS message; each fits alone.
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
    for (const [i, key] of keys.entries()) {
      await call(Subjects.bbPut, { scope, key, value: String(i).repeat(400_000) });
    }
    await call(Subjects.bbPut, { scope, key: 'other', value: 'small' });
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await call(Subjects.bbList, { scope, prefix: 'k', after });
      pages.push(page.entries.map((e) => e.key));
      for (const e of page.entries) expect(e.value).toBe(String(keys.indexOf(e.key)).repeat(400_000));
      after = page.next;
    } while (after !== undefined);
    expect(pages.flat()).toEqual(keys);
    // 512 KiB pages: one 400,000-character value each (two would not fit).
    expect(pages).toEqual(keys.map((k) => [k]));
    const smallOnes = await call(Subjects.bbList, { scope, after: 'k5' });
    expect(smallOnes).toEqual({ entries: [{ scope, key: 'other', value: 'small', version: 1 }] });
  });

  it('keeps scopes apart', async () => {
    await call(Subjects.bbPut, { scope: 'global', key: 'shared', value: 'g' });
    await call(Subjects.bbPut, { scope: 'team:a', key: 'shared', value: 'a' });
    await call(Subjects.bbPut, { scope: 'exec:e-1', key: 'shared', value: 'e' });
    const values = await Promise.all(
      ['global', 'team:a', 'exec:e-1'].map((scope) =>
        call(Subjects.bbGet, { scope, key: 'shared' }),
      ),
    );
    expect(values.map((e) => e.value)).toEqual(['g', 'a', 'e']);
  });

  it('compare-and-sets by version: 0 creates only, a stale version conflicts with the current one', async () => {
    const scope = 'team:cas';
    await expect(
      call(Subjects.bbPut, { scope, key: 'lock', value: 'r1', expectedVersion: 0 }),
    ).resolves.toMatchObject({
      version: 1,
    });
    expect(
      await errorOf(Subjects.bbPut, { scope, key: 'lock', value: 'r2', expectedVersion: 0 }),
    ).toEqual({
      code: 'VERSION_CONFLICT',
      message: 'key lock in scope team:cas is at version 1, not 0',
      details: { currentVersion: 1 },
    });
    await expect(
      call(Subjects.bbPut, { scope, key: 'lock', value: 'r1b', expectedVersion: 1 }),
    ).resolves.toMatchObject({
      value: 'r1b',
      version: 2,
    });
    expect(
      await errorOf(Subjects.bbPut, { scope, key: 'lock', value: 'r3', expectedVersion: 1 }),
    ).toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { currentVersion: 2 },
    });
    expect(
      await errorOf(Subjects.bbPut, { scope, key: 'absent', value: 1, expectedVersion: 3 }),
    ).toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { currentVersion: 0 },
    });
    expect(
      await errorOf(Subjects.bbDelete, { scope, key: 'lock', expectedVersion: 1 }),
    ).toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { currentVersion: 2 },
    });
    await expect(call(Subjects.bbGet, { scope, key: 'lock' })).resolves.toMatchObject({
      value: 'r1b',
      version: 2,
    });
    await expect(
      call(Subjects.bbDelete, { scope, key: 'lock', expectedVersion: 2 }),
    ).resolves.toEqual({
      deleted: true,
      version: 3,
    });
    // After a delete the key is absent again, so a create-only put succeeds.
    await expect(
      call(Subjects.bbPut, { scope, key: 'lock', value: 'r4', expectedVersion: 0 }),
    ).resolves.toMatchObject({
      version: 4,
    });
  });

  it('publishes every change with its new version', async () => {
    const scope = 'team:feed';
    const changes = changesOf(scope, 3);
    await client.connection.flush();
    await call(Subjects.bbPut, { scope, key: 'door', value: 'open' });
    await call(Subjects.bbPut, { scope, key: 'door', value: 'closed' });
    await call(Subjects.bbDelete, { scope, key: 'door' });

    const [first, second, deleted] = await changes;
    expect(first).toMatchObject({ scope, key: 'door', value: 'open', version: 1, source: 'rest' });
    expect(second).toMatchObject({ scope, key: 'door', value: 'closed', version: 2 });
    expect(deleted).toMatchObject({ scope, key: 'door', version: 3, deleted: true });
    expect(deleted).not.toHaveProperty('value');
    expect(Date.parse(first.at)).not.toBeNaN();
    // What the runners accept: they drop a change that does not parse.
    for (const change of [first, second, deleted])
      expect(BlackboardChangedSchema.parse(change)).toEqual(change);
  });

  it('does not publish a change when a compare-and-set fails', async () => {
    const scope = 'team:quiet';
    const changes = changesOf(scope, 2);
    await client.connection.flush();
    await call(Subjects.bbPut, { scope, key: 'k', value: 1 });
    await errorOf(Subjects.bbPut, { scope, key: 'k', value: 2, expectedVersion: 0 });
    await call(Subjects.bbPut, { scope, key: 'k', value: 3 });
    expect((await changes).map((c) => [c.value, c.version])).toEqual([
      [1, 1],
      [3, 2],
    ]);
  });

  it('answers a bad message with VALIDATION_FAILED listing the fields, and keeps serving', async () => {
    const bad = await errorOf(Subjects.bbPut, { scope: 'planet:mars', key: 'a b' });
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.fields?.map((f) => f.field).sort()).toEqual(['key', 'scope', 'value']);
    expect(await errorOf(Subjects.bbGet, { scope: 'global' })).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'key' }],
    });
    expect(await errorOf(Subjects.bbList, 'not an object')).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(
      await errorOf(Subjects.bbDelete, { scope: 'global', key: 'x', expectedVersion: 0 }),
    ).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'expectedVersion' }],
    });

    const raw = await client.connection.request(
      Subjects.bbGet,
      new TextEncoder().encode('{not json'),
      {
        timeout: 5000,
      },
    );
    expect(JSON.parse(new TextDecoder().decode(raw.data))).toMatchObject({
      error: { code: 'BAD_JSON' },
    });

    await expect(
      call(Subjects.bbPut, { scope: 'global', key: 'still-up', value: true }),
    ).resolves.toMatchObject({
      value: true,
    });
  });

  it('keeps the global scope across a Redis restart (AOF), answering 503-class errors while it is down', async () => {
    await call(Subjects.bbPut, { scope: 'global', key: 'mission.count', value: 42 });
    const serviceRedis = app.get(Redis);

    await redis.stop();
    if (serviceRedis.status === 'ready') await once(serviceRedis, 'close');
    // Every operation, reads and writes alike, says "retry later" rather than failing as a bug.
    for (const [subject, req] of [
      [Subjects.bbGet, { scope: 'global', key: 'mission.count' }],
      [Subjects.bbPut, { scope: 'global', key: 'mission.count', value: 0 }],
      [Subjects.bbDelete, { scope: 'global', key: 'mission.count' }],
      [Subjects.bbList, { scope: 'global' }],
    ] as const) {
      expect({ subject, error: await errorOf(subject, req) }).toMatchObject({
        subject,
        error: {
          code: 'DEPENDENCY_UNAVAILABLE',
          message: expect.stringMatching(/^blackboard storage unavailable/),
        },
      });
    }

    await redis.restart();
    if (serviceRedis.status !== 'ready') await once(serviceRedis, 'ready');

    await expect(call(Subjects.bbGet, { scope: 'global', key: 'mission.count' })).resolves.toEqual({
      scope: 'global',
      key: 'mission.count',
      value: 42,
      version: 1,
    });
    // Versions persist too: the next write continues from them.
    await expect(
      call(Subjects.bbPut, { scope: 'global', key: 'mission.count', value: 43 }),
    ).resolves.toMatchObject({
      version: 2,
    });
  });
});
