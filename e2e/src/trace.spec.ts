import { DEFAULT_SHARD_COUNT, shardOf, Subjects } from '@canopy/contracts';
import {
  GatewayApi,
  OtlpTraceReceiver,
  type ReceivedSpan,
  type Stack,
  waitForShards,
} from '@canopy/testing';
import { startE2eStack } from './support/e2e-stack';
import { NatsTap } from './support/tap';
import { STEPS_TREE } from './support/trees';

/**
 * Issue requirement: one trace runs from a gateway request through the runner's tick to the
 * published tick record. Real NATS and Redis; the gateway and a tick runner as processes exporting
 * their spans over OTLP/HTTP to a receiver in this test.
 */
describe('one trace from a gateway request to the published tick record', () => {
  let receiver: OtlpTraceReceiver;
  let stack: Stack;
  let tap: NatsTap;
  let api: GatewayApi;

  beforeAll(async () => {
    receiver = await OtlpTraceReceiver.start();
    // Export each batch within 50 ms instead of the SDK's 5 s, so spans arrive while the test waits.
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' };
    stack = await startE2eStack({
      runners: 1,
      history: false,
      runnerId: () => 'trace-runner',
      env: { gateway: otel, 'tick-runner': otel },
    });
    api = new GatewayApi(stack.gateway.url);
    tap = await NatsTap.connect(stack.infra.nats.url);
    // The runner holds every shard once it has joined and rebalanced.
    await waitForShards(stack.runners, DEFAULT_SHARD_COUNT);
  }, 180_000);

  afterAll(async () => {
    await tap?.close();
    await stack?.dispose();
    await receiver?.close();
  }, 60_000);

  it('links the request span, the command handling, the tick and its commit and publish, and the record header', async () => {
    await api.registerTree(STEPS_TREE);
    const id = 'traced';
    await api.createExecution({ tree: 'e2e-steps', id });
    const feed = await tap.watch(id);

    const res = await api.post(`/executions/${id}/tick`, { count: 1 });
    expect(res).toMatchObject({ status: 200, body: { tick: 1 } });
    await tap.untilTick(id, 1);
    const traceId = res.headers.get('x-trace-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // Each span is looked for in the request's trace: one missing from it (context not carried
    // across a process) fails the wait, naming what arrived instead.
    const inTrace = (name: string) => receiver.spanOf(traceId, name, 15_000);
    const shard = shardOf(id, DEFAULT_SHARD_COUNT);
    const [request, natsRequest, handling, command, tick, commit, publish] = await Promise.all([
      inTrace('POST /executions/:id/tick'),
      inTrace('canopy.cmd.*.* request'),
      inTrace(`${Subjects.commandsOfShard(shard)} process`),
      inTrace('command tick'),
      inTrace('tick'),
      inTrace('commit'),
      inTrace('publish'),
    ]);

    const chain: Array<[string, ReceivedSpan, ReceivedSpan | undefined]> = [
      ['gateway request', request, undefined],
      ['gateway NATS request', natsRequest, request],
      ['runner command message', handling, natsRequest],
      ['runner command', command, handling],
      ['tick', tick, command],
      ['commit', commit, tick],
      ['publish', publish, tick],
    ];
    for (const [what, span, parent] of chain) {
      expect({ what, parent: span.parentSpanId }).toEqual({ what, parent: parent?.spanId });
    }
    expect([request.service, natsRequest.service]).toEqual(['gateway', 'gateway']);
    expect(new Set([handling, command, tick, commit, publish].map((s) => s.service))).toEqual(
      new Set(['tick-runner']),
    );
    expect(request.kind).toBe('SERVER');
    expect(handling.kind).toBe('SERVER');
    expect(tick.attributes).toMatchObject({
      'canopy.exec.id': id,
      'canopy.tick': 1,
      'canopy.status': 'RUNNING',
    });

    // The record on canopy.ticks.<id> (JetStream) carries that trace in its headers, as a child of
    // the tick's publish span, and so do the tick's events.
    const [record] = feed.ticks;
    expect(record.data.tick).toBe(1);
    const traceparent = `00-${traceId}-${publish.spanId}-01`;
    expect(record.traceparent).toBe(traceparent);
    expect(feed.events.length).toBeGreaterThan(2);
    for (const event of feed.events) expect(event.traceparent).toBe(traceparent);
  });
});
