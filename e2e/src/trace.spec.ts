import { DEFAULT_SHARD_COUNT, shardOf, Subjects } from '@canopy/contracts';
import { createHttpService, loadConfig } from '@canopy/service-kit';
import { createLogger, startTelemetry, type Telemetry } from '@canopy/telemetry';
import { RecordingSpanExporter, startTestInfra, type TestInfra } from '@canopy/testing';
// The one trace must be recorded by one in-memory exporter, so the gateway and the runner run in
// this process (their packages export themselves for this); apps never import apps otherwise.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createGateway, GatewayConfigSchema } from '@canopy/gateway';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { RunnerConfigSchema, TickRunnerModule } from '@canopy/tick-runner';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Api } from './support/api';
import { NatsTap } from './support/tap';
import { STEPS_TREE } from './support/trees';

/**
 * Issue requirement: one trace runs from a gateway request through the runner's tick to the
 * published tick record. Real NATS and Redis; the gateway and a tick runner as Nest apps in this
 * process, with telemetry exporting into a RecordingSpanExporter.
 */
describe('one trace from a gateway request to the published tick record', () => {
  const exporter = new RecordingSpanExporter();
  let telemetry: Telemetry;
  let infra: TestInfra;
  let runner: NestFastifyApplication | undefined;
  let gateway: NestFastifyApplication | undefined;
  let tap: NatsTap;
  let api: Api;

  beforeAll(async () => {
    // First: the process-wide SDK is started with our exporter; the apps join it.
    telemetry = startTelemetry({ serviceName: 'e2e-trace', exporter });
    infra = await startTestInfra();
    const env = { ...infra.env, PORT: '0', LOG_LEVEL: 'silent' };
    const runnerConfig = loadConfig(RunnerConfigSchema, { ...env, RUNNER_ID: 'trace-runner' });
    runner = await createHttpService(TickRunnerModule.forRoot(runnerConfig), {
      serviceName: 'tick-runner',
      port: 0,
      nats: { url: infra.env.NATS_URL },
      redis: { url: infra.env.REDIS_URL },
      logger: createLogger('tick-runner', { level: 'silent' }),
    });
    gateway = await createGateway(loadConfig(GatewayConfigSchema, env), createLogger('gateway', { level: 'silent' }));
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    api = new Api(await gateway.getUrl());
    tap = await NatsTap.connect(infra.nats.url);

    // The runner holds every shard once it has joined and rebalanced.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await runner.inject({ method: 'GET', url: '/status' });
      if (res.statusCode === 200 && (res.json() as { shards: number[] }).shards.length === DEFAULT_SHARD_COUNT) break;
      if (Date.now() > deadline) throw new Error(`runner did not take the shards: ${res.body}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 120_000);

  afterAll(async () => {
    await tap?.close();
    await gateway?.close();
    await runner?.close();
    await infra?.dispose();
    await telemetry?.shutdown();
  }, 60_000);

  it('links the request span, the command handling, the tick and its commit and publish, and the record header', async () => {
    await api.registerTree(STEPS_TREE);
    const id = 'traced';
    await api.createExecution({ tree: 'e2e-steps', id });
    const feed = await tap.watch(id);
    exporter.reset();

    const res = await api.post(`/executions/${id}/tick`, { count: 1 });
    expect(res).toMatchObject({ status: 200, body: { tick: 1 } });
    await tap.untilTick(id, 1);
    const traceId = res.headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const request = await exporter.span('POST /executions/:id/tick');
    const tick = await exporter.span('tick');
    const [commit, publish, command] = await Promise.all([exporter.span('commit'), exporter.span('publish'), exporter.span('command tick')]);
    const shard = shardOf(id, DEFAULT_SHARD_COUNT);
    const natsRequest = await exporter.span('canopy.cmd.*.* request');
    const handling = await exporter.span(`${Subjects.commandsOfShard(shard)} process`);

    const chain: Array<[string, ReadableSpan, ReadableSpan | undefined]> = [
      ['gateway request', request, undefined],
      ['gateway NATS request', natsRequest, request],
      ['runner command message', handling, natsRequest],
      ['runner command', command, handling],
      ['tick', tick, command],
      ['commit', commit, tick],
      ['publish', publish, tick],
    ];
    for (const [what, span, parent] of chain) {
      expect({ what, traceId: span.spanContext().traceId }).toEqual({ what, traceId });
      expect({ what, parent: span.parentSpanContext?.spanId }).toEqual({ what, parent: parent?.spanContext().spanId });
    }
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(handling.kind).toBe(SpanKind.SERVER);
    expect(tick.attributes).toMatchObject({ 'canopy.exec.id': id, 'canopy.tick': 1, 'canopy.status': 'RUNNING' });

    // The record on canopy.ticks.<id> (JetStream) carries that trace in its headers, as a child of
    // the tick's publish span, and so do the tick's events.
    const [record] = feed.ticks;
    expect(record.data.tick).toBe(1);
    const traceparent = `00-${traceId}-${publish.spanContext().spanId}-01`;
    expect(record.traceparent).toBe(traceparent);
    expect(feed.events.length).toBeGreaterThan(2);
    for (const event of feed.events) expect(event.traceparent).toBe(traceparent);
  });
});
