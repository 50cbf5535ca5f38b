import { PNG_SIGNATURE, STATUS_FILL } from '@canopy/viz';
import { type Harness, startHarness } from './gateway-harness';
import { type RunnerProcess, startRunner } from './runner-process';
import { openSse, openWs, type StreamMessage } from './stream-clients';

const SOURCE = `(tree "patrol"
  (sequence :id "root"
    (set "battery" 30)
    (log "patrolling" $battery)
    (wait :id "slow" :ms 600000)))
`;

/** The `<g class="node">` of a tree node in Graphviz SVG (its SVG id is `node:<id>`). */
function svgNode(svg: string, id: string): string {
  const group = new RegExp(`<g id="node:${id}" class="node">[\\s\\S]*?</g>`).exec(svg)?.[0];
  if (!group) throw new Error(`no node ${id} in the SVG`);
  return group;
}
const fillOf = (group: string) => /<(?:path|polygon) fill="([^"]+)"/.exec(group)?.[1];

describe('pictures and streams with a real tick runner', () => {
  let harness: Harness;
  let base: string;
  let runner: RunnerProcess;

  beforeAll(async () => {
    harness = await startHarness();
    // A real tick runner as its own process, holding every shard, as `runner-1`.
    runner = await startRunner({ nats: harness.nats.url, redis: harness.redis.url }, 'runner-1');
    await harness.gateway.listen({ port: 0, host: '127.0.0.1' });
    base = await harness.gateway.getUrl();
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await harness?.dispose();
  }, 60_000);

  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await harness.gateway.inject({
      method,
      url,
      ...(payload === undefined
        ? {}
        : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
    });
    return res;
  };

  it('answers a tree as data (format=json): nodes with ids, types, parents and children', async () => {
    const source = SOURCE.replace('"patrol"', '"patrol-json"');
    expect((await call('POST', '/trees', { source })).statusCode).toBe(201);
    const res = await call('GET', '/trees/patrol-json/visualize?format=json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json() as { name: string; nodes: { id: string; type: string; parentId?: string; childIds: string[]; depth: number }[] };
    expect(body.name).toBe('patrol-json');
    expect(body.nodes.map((n) => [n.id, n.type, n.parentId ?? null, n.depth])).toEqual([
      ['root', 'sequence', null, 0],
      ['0.0', 'set', 'root', 1],
      ['0.1', 'log', 'root', 1],
      ['slow', 'wait', 'root', 1],
    ]);
    expect(body.nodes[0].childIds).toEqual(['0.0', '0.1', 'slow']);
  });

  it('checks source without registering it: 200, or COMPILE_FAILED with every positioned error', async () => {
    const ok = await call('POST', '/trees/check', { source: SOURCE.replace('"patrol"', '"checked-only"') });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ok: true, trees: ['checked-only'], nodeCount: 4 });
    // Nothing was registered.
    expect((await call('GET', '/trees/checked-only')).statusCode).toBe(404);

    const bad = await call('POST', '/trees/check', { source: '(tree "t"\n  (sequence\n    (no-such-node)\n    (log)))', file: 'edit.lisp' });
    expect(bad.statusCode).toBe(400);
    const error = bad.json().error;
    expect(error).toMatchObject({ code: 'COMPILE_FAILED', line: 3, column: 6 });
    expect(error.message).toMatch(/^edit\.lisp:3:6: /);
    expect(error.details.errors.length).toBeGreaterThanOrEqual(1);
    expect(error.details.errors[0]).toMatchObject({ line: 3, column: 6 });

    // A subtree naming a registered tree compiles; an unknown one does not.
    const sub = await call('POST', '/trees/check', { source: '(tree "uses" (subtree "patrol-json"))' });
    expect(sub.statusCode).toBe(200);
    const unknown = await call('POST', '/trees/check', { source: '(tree "uses" (subtree "nope"))' });
    expect(unknown.statusCode).toBe(400);
    expect((await call('POST', '/trees/check', {})).json().error.code).toBe('VALIDATION_FAILED');
  });

  it('draws a registered tree as DOT, SVG and PNG, and validates the format', async () => {
    expect((await call('POST', '/trees', { source: SOURCE })).statusCode).toBe(201);

    const dot = await call('GET', '/trees/patrol/visualize?format=dot');
    expect(dot.statusCode).toBe(200);
    expect(dot.headers['content-type']).toBe('text/vnd.graphviz; charset=utf-8');
    expect(dot.body).toContain('label="patrol v1"');
    for (const id of ['root', '0.0', '0.1', 'slow']) expect(dot.body).toContain(`[id="node:${id}"`);

    const svg = await call('GET', '/trees/patrol/visualize');
    expect(svg.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(fillOf(svgNode(svg.body, 'slow'))).toBe(STATUS_FILL.IDLE);

    const png = await call('GET', '/trees/patrol/visualize?format=png&version=1');
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);

    const bad = await call('GET', '/trees/patrol/visualize?format=gif');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'format' }],
    });
    const missing = await call('GET', '/trees/patrol/visualize?version=9');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('TREE_NOT_FOUND');
  });

  it('registers BehaviorTree.CPP XML and MDSL (format), runs it, and refuses what cannot map at its line and column', async () => {
    const xml = `<root BTCPP_format="4" main_tree_to_execute="Door">
  <BehaviorTree ID="Door">
    <Sequence>
      <Script code="opened:=true"/>
      <RunOnce><AlwaysSuccess/></RunOnce>
    </Sequence>
  </BehaviorTree>
</root>`;
    const registered = await call('POST', '/trees', { source: xml, format: 'btcpp' });
    expect(registered.statusCode).toBe(201);
    expect(registered.json()).toMatchObject({ name: 'Door', version: 1, nodeCount: 4 });
    expect(registered.json().notes).toEqual([expect.stringMatching(/^tree\.xml:5:7: note: RunOnce: after its run BT\.CPP skips/)]);
    const stored = await call('GET', '/trees/Door');
    expect(stored.json().source).toBe('(tree "Door"\n  (sequence\n    (set "opened" true)\n    (run-once\n      (success))))\n');
    expect((await call('POST', '/executions', { tree: 'Door', id: 'door-1' })).statusCode).toBe(201);
    expect((await call('POST', '/executions/door-1/tick', { count: 1 })).json()).toMatchObject({ tick: 1, status: 'SUCCESS' });

    const mdsl = await call('POST', '/trees', { source: 'root { sequence { wait [5] } }', format: 'mdsl', file: 'walk.mdsl' });
    expect(mdsl.statusCode).toBe(201);
    expect(mdsl.json()).toMatchObject({ name: 'main', nodeCount: 2 });

    const refused = await call('POST', '/trees', { source: '<root>\n<BehaviorTree ID="X">\n  <IfThenElse><A/><B/><C/></IfThenElse>\n</BehaviorTree>\n</root>', format: 'btcpp' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({ code: 'COMPILE_FAILED', line: 3, column: 3 });
    expect(refused.json().error.message).toMatch(/^tree\.xml:3:3: IfThenElse has no Canopy equivalent/);
    const include = await call('POST', '/trees', { source: '<root><include path="a.xml"/><BehaviorTree ID="Y"><AlwaysSuccess/></BehaviorTree></root>', format: 'btcpp' });
    expect(include.json().error.message).toContain('includes can only be read from files');
    const noSource = await call('POST', '/trees', { definition: { format: 'canopy/1', trees: [] }, format: 'btcpp' });
    expect(noSource.statusCode).toBe(400);
    expect(noSource.json().error.fields).toEqual([expect.objectContaining({ field: 'format' })]);
  });

  it('streams the real ticks, overlays them on pictures, and snapshots them for late joiners', async () => {
    expect((await call('POST', '/executions', { tree: 'patrol', id: 'p1' })).statusCode).toBe(201);
    const early = await openWs(`${base.replace(/^http/, 'ws')}/executions/p1/ws`);
    const sse = await openSse(
      `${base}/executions/p1/events?events=tick_complete,execution_stopped`,
    );
    try {
      const first = await early.inbox.first('snapshot', (m) => m.type === 'snapshot');
      expect(first.data).toMatchObject({
        execution: { id: 'p1', tick: 0, owner: 'runner-1' },
        statuses: { root: 'IDLE', slow: 'IDLE' },
        statusesTick: 0,
      });

      const tick = await call('POST', '/executions/p1/tick');
      expect(tick.json()).toMatchObject({ tick: 1, status: 'RUNNING' });
      await early.inbox.until('tick 1', (m) => m.some((e) => e.type === 'tick_complete'));
      const tickEvents = early.inbox.messages.filter((m) => m.tick === 1);
      expect(tickEvents.map((m) => m.type)).toEqual([
        'tick_start',
        ...Array(4).fill('node_update'),
        'blackboard_update',
        'log',
        'tick_complete',
      ]);
      expect(tickEvents.map((m) => m.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(tickEvents.find((m) => m.type === 'blackboard_update')?.data).toEqual({
        key: 'battery',
        scope: 'exec:p1',
        value: 30,
      });
      expect(tickEvents.find((m) => m.type === 'tick_complete')?.data).toMatchObject({
        status: 'RUNNING',
        changes: 4,
        writes: 1,
      });

      // The picture: statuses of tick 1 (from its record's checkpoint) and the blackboard.
      const picture = await call('GET', '/executions/p1/visualize?format=svg&blackboard=true');
      expect(picture.statusCode).toBe(200);
      expect(fillOf(svgNode(picture.body, 'slow'))).toBe(STATUS_FILL.RUNNING);
      expect(fillOf(svgNode(picture.body, '0.0'))).toBe(STATUS_FILL.SUCCESS);
      expect(picture.body).toContain('id="blackboard"');
      expect(picture.body).toMatch(/>battery<[\s\S]*>30</);
      expect(picture.body).toContain('patrol v1 · p1 · tick 1 · running');
      const dot = await call('GET', '/executions/p1/visualize?format=dot');
      expect(dot.body).not.toContain('blackboard');
      // The same as data: nodes, statuses after tick 1, and the blackboard on request.
      const data = await call('GET', '/executions/p1/visualize?format=json&blackboard=true');
      expect(data.statusCode).toBe(200);
      expect(data.json()).toMatchObject({
        name: 'patrol',
        version: 1,
        tick: 1,
        statuses: { root: 'RUNNING', '0.0': 'SUCCESS', '0.1': 'SUCCESS', slow: 'RUNNING' },
        blackboard: { battery: 30 },
      });
      expect((data.json() as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(['root', '0.0', '0.1', 'slow']);

      const late = await openWs(
        `${base.replace(/^http/, 'ws')}/executions/p1/ws?events=execution_stopped`,
      );
      try {
        const snapshot = await late.inbox.first('snapshot', (m) => m.type === 'snapshot');
        expect(snapshot.data).toMatchObject({
          execution: { id: 'p1', tick: 1, status: 'RUNNING' },
          statuses: { root: 'RUNNING', '0.0': 'SUCCESS', '0.1': 'SUCCESS', slow: 'RUNNING' },
          statusesTick: 1,
        });
        expect((await call('POST', '/executions/p1/stop')).statusCode).toBe(200);
        const stopped = (m: StreamMessage) => m.type === 'execution_stopped';
        await late.inbox.first('stop', stopped);
        await sse.inbox.first('stop', stopped);
        expect(late.inbox.types()).toEqual(['snapshot', 'execution_stopped']);
        expect(sse.inbox.types()).toEqual(['snapshot', 'tick_complete', 'execution_stopped']);
      } finally {
        await late.close();
      }
    } finally {
      sse.close();
      await early.close();
    }
  });

  it('answers 404 for the picture of an unknown execution and 400 for a bad flag', async () => {
    const missing = await call('GET', '/executions/nobody/visualize');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('EXECUTION_NOT_FOUND');
    const bad = await call('GET', '/executions/p1/visualize?blackboard=yes');
    expect(bad.statusCode).toBe(400);
  });
});
