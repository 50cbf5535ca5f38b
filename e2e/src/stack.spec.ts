import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActionWorker } from '@canopy/sdk';
import {
  DEFAULT_SHARD_COUNT,
  type BlackboardEntry,
  type EventEnvelope,
  type Execution,
  type TreeRecord,
  type TreeSummary,
  shardOf,
  Subjects,
} from '@canopy/contracts';
import { createLogger } from '@canopy/telemetry';
import { GatewayApi, REPO_ROOT, type Stack } from '@canopy/testing';
import { checkFeed, runnersEvents } from './support/checks';
import { runnerId, startE2eStack } from './support/e2e-stack';
import { NatsTap, storedTicks } from './support/tap';
import { AGENT_TREE, expectedSteps, STEPS_TREE, WAITER_TREE } from './support/trees';

/**
 * The whole stack as separate processes (blackboard, one tick runner, gateway, and history when it
 * exists) on real nats-server and redis-server, driven only through the gateway's REST API and
 * the public NATS subjects.
 */
describe('stack end to end', () => {
  let stack: Stack;
  let api: GatewayApi;
  let tap: NatsTap;
  const workers: ActionWorker[] = [];

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1 });
    api = new GatewayApi(stack.gateway.url);
    tap = await NatsTap.connect(stack.infra.nats.url);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.close()));
    await tap?.close();
    await stack?.dispose();
  }, 60_000);

  describe('trees', () => {
    it('registers the purpose-built trees and every example over REST', async () => {
      for (const source of [STEPS_TREE, WAITER_TREE, AGENT_TREE]) {
        const summary = await api.registerTree(source);
        expect(summary).toMatchObject({ version: 1 });
      }
      const examples = readdirSync(join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.lisp'));
      expect(examples.length).toBeGreaterThan(0);
      for (const file of examples) {
        await api.registerTree(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8'), file);
      }
      const listed = await api.ok(api.get<TreeSummary[]>('/trees'));
      expect(listed.map((t) => t.name)).toEqual(
        expect.arrayContaining(['e2e-steps', 'e2e-waiter', 'e2e-agent', 'robot-patrol']),
      );
      const steps = await api.ok(api.get<TreeRecord>('/trees/e2e-steps'));
      expect(steps).toMatchObject({ name: 'e2e-steps', version: 1, trees: ['e2e-steps'] });
    });

    it('answers 400 COMPILE_FAILED with the line and column of the error', async () => {
      const res = await api.post<{
        error: { code: string; message: string; line: number; column: number };
      }>('/trees', {
        source: '(tree "broken"\n  (sequence\n    (frobnicate :x 1)))\n',
        file: 'broken.lisp',
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'COMPILE_FAILED', line: 3, column: 6 });
      expect(res.body.error.message).toMatch(/^broken\.lisp:3:6: /);
    });
  });

  describe('manual ticks', () => {
    const id = 'steps-manual';

    it('publishes one record and its events per tick, numbered 1..n', async () => {
      const created = await api.createExecution({ tree: 'e2e-steps', id });
      expect(created).toMatchObject({
        id,
        tree: 'e2e-steps',
        version: 1,
        mode: 'manual',
        state: 'created',
        tick: 0,
      });
      const feed = await tap.watch(id);

      expect(await api.tick(id)).toEqual({ tick: 1, status: 'RUNNING', state: 'running' });
      // The body may be left out (one tick) or carry a count: the reply comes after the last one.
      expect(await api.tick(id, 3)).toEqual({ tick: 4, status: 'SUCCESS', state: 'completed' });
      await tap.untilTick(id, 4);

      const report = checkFeed(feed, { execId: id, tree: 'e2e-steps', rootId: 'main' });
      expect(report.problems).toEqual([]);
      expect(report.replays).toBe(0);
      expect(report.records.map((r) => r.tick)).toEqual([1, 2, 3, 4]);
      report.records.forEach((r, i) => {
        expect(r).toMatchObject({
          ...expectedSteps(i + 1, Math.floor((i + 1) / 2)),
          runner: runnerId(1),
          version: 1,
        });
      });
      // The durable copy in CANOPY_TICKS is the same, once each.
      expect(await storedTicks(tap.nc, id)).toEqual(report.records);
      expect(await api.execution(id)).toMatchObject({
        tick: 4,
        status: 'SUCCESS',
        state: 'completed',
        owner: runnerId(1),
      });
    });

    it('sees a blackboard write made over REST at the next tick', async () => {
      const put = await api.ok(
        api.put<BlackboardEntry>(`/blackboard/exec:${id}/keys/count`, { value: 100 }),
      );
      expect(put).toMatchObject({ scope: `exec:${id}`, key: 'count', value: 100 });

      expect(await api.tick(id)).toEqual({ tick: 5, status: 'RUNNING', state: 'running' });
      const feed = await tap.untilTick(id, 5);
      const report = checkFeed(feed, {
        execId: id,
        tree: 'e2e-steps',
        rootId: 'main',
        outside: { 5: { count: 100 } },
      });
      expect(report.problems).toEqual([]);
      expect(report.records[4]).toMatchObject(expectedSteps(5, 100));
      expect(report.records[4].writes[0]).toEqual({
        key: 'count',
        scope: 'exec',
        old: 100,
        new: 101,
      });

      const read = await api.ok(api.get<BlackboardEntry>(`/blackboard/exec:${id}/keys/count`));
      expect(read).toMatchObject({ value: 101 });
      expect(read.version).toBeGreaterThan(put.version);
    });
  });

  describe('interval executions', () => {
    it('tick on their own every intervalMs until maxTicks, then complete', async () => {
      const id = 'waiter-interval';
      const feed = await tap.watch(id);
      await api.createExecution({
        tree: 'e2e-waiter',
        id,
        mode: 'interval',
        intervalMs: 40,
        maxTicks: 12,
      });
      await tap.until(
        'execution_completed',
        () => feed.events.some((e) => e.data.type === 'execution_completed'),
        60_000,
      );

      const report = checkFeed(feed, { execId: id, tree: 'e2e-waiter', rootId: 'round' });
      expect(report.problems).toEqual([]);
      expect(report.records.map((r) => r.tick)).toEqual([...Array(12).keys()].map((i) => i + 1));
      const starts = report.records.map((r) => r.startedAt);
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
      // The 120 ms wait spans several 40 ms ticks, so rounds finish on some ticks only.
      const finished = report.records.filter((r) => r.status === 'SUCCESS');
      expect(finished.length).toBeGreaterThan(0);
      expect(finished.length).toBeLessThan(12);
      expect(feed.events[0].data).toMatchObject({
        type: 'execution_started',
        tick: 0,
        data: { mode: 'interval' },
      });
      // History's pushed progress may come later; the runner's last event ends the run.
      const last = runnersEvents(feed.events).at(-1)?.data;
      expect(last).toMatchObject({ type: 'execution_completed', tick: 12 });
      expect(await api.execution(id)).toMatchObject({ state: 'completed', tick: 12 });
    });

    it('pause, resume and stop; a tick of a stopped execution is 409', async () => {
      const id = 'waiter-controlled';
      const feed = await tap.watch(id);
      await api.createExecution({ tree: 'e2e-waiter', id, mode: 'interval', intervalMs: 30 });
      await tap.untilTick(id, 3);

      const paused = await api.ok(api.post<Execution>(`/executions/${id}/pause`));
      expect(paused.state).toBe('paused');
      await tap.until('execution_paused', () =>
        feed.events.some((e) => e.data.type === 'execution_paused'),
      );
      const resumed = await api.ok(api.post<Execution>(`/executions/${id}/resume`));
      expect(resumed).toMatchObject({ state: 'running', tick: paused.tick });
      await tap.untilTick(id, paused.tick + 3);

      const stopped = await api.ok(api.post<Execution>(`/executions/${id}/stop`));
      expect(stopped.state).toBe('stopped');
      await tap.until('execution_stopped', () =>
        feed.events.some((e) => e.data.type === 'execution_stopped'),
      );
      await tap.untilTick(id, stopped.tick);

      const report = checkFeed(feed, { execId: id, tree: 'e2e-waiter', rootId: 'round' });
      expect(report.problems).toEqual([]);
      // Pausing ticked nothing in between: the tick after the pause is the next number.
      expect(report.records.map((r) => r.tick)).toEqual(
        [...Array(stopped.tick).keys()].map((i) => i + 1),
      );
      const pauseEvent = feed.events.find((e) => e.data.type === 'execution_paused')
        ?.data as EventEnvelope;
      expect(pauseEvent.tick).toBe(paused.tick);

      const tick = await api.post<{ error: { code: string } }>(`/executions/${id}/tick`, {
        count: 1,
      });
      expect(tick).toMatchObject({ status: 409, body: { error: { code: 'EXECUTION_STOPPED' } } });
      const start = await api.post<{ error: { code: string } }>(`/executions/${id}/start`, {
        mode: 'auto',
      });
      expect(start).toMatchObject({ status: 409, body: { error: { code: 'EXECUTION_STOPPED' } } });
      expect(await api.execution(id)).toMatchObject({ state: 'stopped', tick: stopped.tick });
    });
  });

  describe('remote actions', () => {
    it('an event execution calls an action served by an ActionWorker and ticks when it settles', async () => {
      const calls: Array<{ args: Record<string, unknown>; execId: string; nodeId: string }> = [];
      const worker = new ActionWorker({
        natsUrl: stack.infra.nats.url,
        logger: createLogger('e2e-worker', { level: 'silent' }),
      });
      workers.push(worker);
      await worker.register('e2e-double', async (args, ctx) => {
        calls.push({ args, execId: ctx.execId, nodeId: ctx.nodeId });
        return 'SUCCESS';
      });

      const id = 'agent-event';
      const feed = await tap.watch(id);
      // Long interval: only events (the REST write, the settled action, the trigger) tick it.
      await api.createExecution({ tree: 'e2e-agent', id, mode: 'event', intervalMs: 600_000 });
      expect(await api.execution(id)).toMatchObject({ state: 'running', tick: 0 });

      // An outside write to a scope it reads wakes it: tick 1 calls the action, tick 2 takes the result.
      await api.ok(api.put(`/blackboard/exec:${id}/keys/go`, { value: true }));
      await tap.untilTick(id, 2);
      // A trigger command straight on the owner's subject, as any NATS client may send it.
      const reply = await tap.nc.request(
        Subjects.command(shardOf(id, DEFAULT_SHARD_COUNT), id),
        JSON.stringify({ type: 'trigger', reason: 'e2e' }),
        { timeout: 10_000 },
      );
      expect(reply.json()).toEqual({ queued: true });
      await tap.untilTick(id, 4);

      const report = checkFeed(feed, { execId: id, tree: 'e2e-agent', rootId: 'agent' });
      expect(report.problems).toEqual([]);
      expect(report.records.map((r) => [r.tick, r.status])).toEqual([
        [1, 'RUNNING'],
        [2, 'SUCCESS'],
        [3, 'RUNNING'],
        [4, 'SUCCESS'],
      ]);
      expect(report.records[1].writes).toEqual([{ key: 'answered', scope: 'exec', new: 1 }]);
      expect(report.records[3].writes).toEqual([
        { key: 'answered', scope: 'exec', old: 1, new: 2 },
      ]);
      expect(report.records[1].nodes).toContainEqual({ id: '0.4', from: 'RUNNING', to: 'SUCCESS' });
      expect(calls).toEqual([
        { args: { value: 1 }, execId: id, nodeId: '0.4' },
        { args: { value: 2 }, execId: id, nodeId: '0.4' },
      ]);
      expect(await api.execution(id)).toMatchObject({
        mode: 'event',
        state: 'running',
        status: 'SUCCESS',
        tick: 4,
      });
    });
  });

  describe('errors', () => {
    it('404 for an unknown execution, on reads and on owner commands', async () => {
      for (const res of [
        await api.get('/executions/no-such-exec'),
        await api.post('/executions/no-such-exec/tick', { count: 1 }),
      ]) {
        expect(res).toMatchObject({
          status: 404,
          body: { error: { code: 'EXECUTION_NOT_FOUND' } },
        });
      }
      expect(await api.post('/executions', { tree: 'no-such-tree' })).toMatchObject({
        status: 404,
        body: { error: { code: 'TREE_NOT_FOUND' } },
      });
    });

    it('400 listing every invalid field', async () => {
      const res = await api.post<{ error: { code: string; fields: { field: string }[] } }>(
        '/executions',
        {
          tree: 'bad name',
          mode: 'sometimes',
          intervalMs: 0,
          maxTicks: -1,
          blackboard: 'not an object',
        },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.fields.map((f) => f.field).sort()).toEqual([
        'blackboard',
        'intervalMs',
        'maxTicks',
        'mode',
        'tree',
      ]);

      const tick = await api.post<{ error: { code: string; fields: { field: string }[] } }>(
        '/executions/steps-manual/tick',
        { count: 0 },
      );
      expect(tick).toMatchObject({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED', fields: [{ field: 'count' }] } },
      });
      const badJson = await api.request('POST', '/executions', undefined, '{"tree": ');
      expect(badJson).toMatchObject({ status: 400, body: { error: { code: 'BAD_JSON' } } });
    });

    it('413 for a body over the limit', async () => {
      const res = await api.post('/trees', {
        source: `; ${'x'.repeat(1024 * 1024 + 1)}\n(tree "big" (success))`,
      });
      expect(res).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    });
  });

  it('every service is still up', async () => {
    for (const service of stack.all()) {
      expect({ name: service.spec.name, running: service.running }).toEqual({
        name: service.spec.name,
        running: true,
      });
      expect(await service.probe('/healthz')).toBe(true);
    }
  });
});
