import type { EventEnvelope, ReloadReply } from '@canopy/contracts';
import { GatewayApi, type Stack } from '@canopy/testing';
import { startE2eStack } from './support/e2e-stack';
import { storedTicks, NatsTap } from './support/tap';

const V1 = '(tree "e2e-reload" (repeat :times -1 (set "a" (+ (get "a" 0) 1))))';
const V2 = '(tree "e2e-reload" (repeat :times -1 (set "b" (+ (get "b" 0) 1))))';

/** Hot reload through the gateway, as a user (or `canopy dev`) drives it. */
describe('PUT /executions/:id/tree', () => {
  let stack: Stack;
  let api: GatewayApi;
  let tap: NatsTap;

  beforeAll(async () => {
    stack = await startE2eStack({ runners: 1 });
    api = new GatewayApi(stack.gateway.url);
    tap = await NatsTap.connect(stack.infra.nats.url);
    await api.registerTree(V1);
  }, 180_000);

  afterAll(async () => {
    await tap?.close();
    await stack?.dispose();
  }, 60_000);

  it('swaps a running tree from source, keeps its ticks, and reports a bad source with its position', async () => {
    const id = 'reloaded';
    const feed = await tap.watch(id);
    await api.createExecution({ tree: 'e2e-reload', id });
    await api.tick(id, 2);

    const bad = await api.put<{
      error: { code: string; message: string; line: number; column: number };
    }>(`/executions/${id}/tree`, {
      source: '(tree "e2e-reload"\n  (repeat :times -1 (sett "b" 1)))',
      file: 'reload.lisp',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'COMPILE_FAILED', line: 2, column: 22 });
    expect(bad.body.error.message).toMatch(/^reload\.lisp:2:22: /);
    expect(await api.execution(id)).toMatchObject({ version: 1, tick: 2 });

    const both = await api.put<{ error: { code: string } }>(`/executions/${id}/tree`, {
      source: V2,
      version: 1,
    });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('VALIDATION_FAILED');

    const reply = await api.ok(
      api.put<ReloadReply>(`/executions/${id}/tree`, { source: V2, policy: 'swap-now' }),
    );
    expect(reply).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      policy: 'swap-now',
      pending: false,
      execution: { id, version: 2, tick: 2 },
    });
    await api.tick(id, 1);
    const ticks = await storedTicks(tap.nc, id);
    expect(ticks.map((t) => [t.tick, t.version])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(ticks[2].writes.map((w) => w.key)).toEqual(['b']);
    const reloaded = await tap.until('tree_reloaded', () => {
      const found = feed.events
        .map((e) => e.data)
        .filter((e: EventEnvelope) => e.type === 'tree_reloaded');
      return found.length > 0 && found;
    });
    expect(reloaded.map((e) => e.data)).toEqual([
      {
        fromVersion: 1,
        toVersion: 2,
        policy: 'swap-now',
        tick: 2,
        added: reply.added,
        removed: reply.removed,
        kept: reply.kept,
      },
    ]);

    const missing = await api.put<{ error: { code: string } }>(`/executions/nobody/tree`, {
      version: 1,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('EXECUTION_NOT_FOUND');
    const noVersion = await api.put<{ error: { code: string } }>(`/executions/${id}/tree`, {
      version: 42,
    });
    expect(noVersion.status).toBe(404);
    expect(noVersion.body.error.code).toBe('TREE_NOT_FOUND');
  });
});
