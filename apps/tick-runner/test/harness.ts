import type { McpServerConfig } from '@canopy/llm';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import {
  RedisKeys,
  Subjects,
  Streams,
  shardOf,
  type BlackboardChanged,
  type Command,
  type EventEnvelope,
  type Execution,
  type TickRecordMessage,
} from '@canopy/contracts';
import type { ActionFn, LlmProvider } from '@canopy/engine';
import { TracedNats, createLogger, startTelemetry } from '@canopy/telemetry';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTestInfra, type TestInfra, waitFor } from '@canopy/testing';
import { TickRunner } from '../src/runner';

export const SHARDS = 8;
const LOG_LEVEL = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent';

export { waitFor };

export interface Client {
  nc: NatsConnection;
  bus: TracedNats;
  close(): Promise<void>;
}

/** A NATS client acting as the gateway or a worker. */
export async function connectClient(url: string): Promise<Client> {
  const nc = await connect({ servers: url });
  const bus = new TracedNats(nc, jetstream(nc), {
    logger: createLogger('test-client', { level: LOG_LEVEL }),
  });
  return { nc, bus, close: () => nc.drain() };
}

export interface TestRunner {
  runner: TickRunner;
  redis: Redis;
  close(): Promise<void>;
  /** Stops ticking and renewing without releasing anything, as if the process died. */
  crash(): Promise<void>;
}

export async function startRunner(
  infra: TestInfra,
  opts: {
    runnerId: string;
    leaseTtlMs?: number;
    actionTimeoutMs?: number;
    localActions?: Record<string, ActionFn>;
    eventQueueMax?: number;
    llm?: LlmProvider;
    teamLlmTokenBudget?: number;
    mcpServers?: Record<string, McpServerConfig>;
  },
): Promise<TestRunner> {
  const log = createLogger(`tick-runner:${opts.runnerId}`, { level: LOG_LEVEL });
  // The client options service-kit's connectNats/connectRedis use: NATS reconnecting forever,
  // Redis failing fast while disconnected (no offline queue, no resend of a command in flight).
  const nc = await connect({
    servers: infra.nats.url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
  const redis = new Redis(infra.redis.url, {
    connectionName: opts.runnerId,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, 500),
  });
  await new Promise((resolve) => redis.once('ready', resolve));
  const bus = new TracedNats(nc, jetstream(nc), { logger: log });
  const runner = new TickRunner(
    {
      runnerId: opts.runnerId,
      shardCount: SHARDS,
      leaseTtlMs: opts.leaseTtlMs ?? 3000,
      actionTimeoutMs: opts.actionTimeoutMs ?? 5000,
      eventQueueMax: opts.eventQueueMax,
      teamLlmTokenBudget: opts.teamLlmTokenBudget,
    },
    { nats: bus, redis, log, localActions: opts.localActions, llm: opts.llm, mcpServers: opts.mcpServers },
  );
  await runner.start();
  let closed = false;
  const release = async () => {
    closed = true;
    await nc.drain().catch(() => undefined);
    redis.disconnect();
  };
  return {
    runner,
    redis,
    close: async () => {
      if (closed) return;
      await runner.stop();
      await release();
    },
    crash: async () => {
      if (closed) return;
      await runner.crash();
      await release();
    },
  };
}

type RunnerOptions = Parameters<typeof startRunner>[1];

/** What a describe block gets from `useRunners`, filled in before its tests run. */
export interface RunnerFixture {
  infra: TestInfra;
  /** A client acting as the gateway (and as action workers). */
  gateway: Client;
  runners: TestRunner[];
  /** The first runner. */
  runner: TestRunner;
  /** Another client (an action worker), closed with the fixture. */
  client(): Promise<Client>;
  /** Runs `stop` when the block ends, before the runners and the brokers go. */
  cleanup(stop: () => Promise<unknown>): void;
}

/**
 * For one describe block: real NATS and Redis, the runners (started in order), a client acting as
 * the gateway, and `trees` registered; everything stopped after the block.
 */
export function useRunners(opts: {
  runners: RunnerOptions[];
  trees?: string[];
  infra?: Parameters<typeof startTestInfra>[0];
}): RunnerFixture {
  const clients: Client[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const fx = { runners: [] as TestRunner[] } as RunnerFixture;
  fx.cleanup = (stop) => cleanups.push(stop);
  fx.client = async () => {
    const client = await connectClient(fx.infra.nats.url);
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    fx.infra = await startInfra(opts.infra);
    fx.gateway = await connectClient(fx.infra.nats.url);
    for (const options of opts.runners) fx.runners.push(await startRunner(fx.infra, options));
    fx.runner = fx.runners[0];
    for (const source of opts.trees ?? []) await registerTree(fx.gateway, source);
  }, 30_000);
  afterAll(async () => {
    for (const stop of cleanups.reverse()) await stop();
    for (const client of [...clients, fx.gateway]) await client?.close();
    for (const runner of [...fx.runners].reverse()) await runner.close();
    await fx.infra?.dispose();
  });
  return fx;
}

/** Resolves once the runners hold every shard between them, each some. */
export function waitForShardsSplit(runners: TestRunner[]): Promise<true> {
  const held = () => runners.map((r) => r.runner.shards.heldShards().length);
  return waitFor('shards split', () => {
    const counts = held();
    return counts.reduce((x, y) => x + y, 0) === SHARDS && counts.every((n) => n > 0);
  });
}

/** A tree that counts its ticks in `n` (exec scope). */
export const BEAT = '(tree "beat" (set "n" (+ (get "n" 0) 1)))';

/** Spans the process ended, as production would export them (W3C propagation on, like the service). */
export const spanExporter = new InMemorySpanExporter();

/** Real NATS and Redis on free ports, and tracing as the service runs it. */
export function startInfra(opts: Parameters<typeof startTestInfra>[0] = {}): Promise<TestInfra> {
  startTelemetry({ serviceName: 'tick-runner-test', exporter: spanExporter });
  return startTestInfra(opts);
}

/** Sends an owner command the way the gateway does. */
export function command<R>(client: Client, id: string, cmd: Command, timeoutMs = 5000): Promise<R> {
  return client.bus.request<R>(Subjects.command(shardOf(id, SHARDS), id), cmd, { timeoutMs });
}

/** The error body a failed request carried (`NatsRequestError.toBody()`). */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; [k: string]: unknown }> {
  try {
    await promise;
  } catch (error) {
    const body = (
      error as { toBody?: () => { error: { code: string; message: string } } }
    ).toBody?.();
    if (body) return body.error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

/** Every message stored in a stream for `subject`, in stream order, with its dedup id. */
export async function readStream<T>(
  nc: NatsConnection,
  stream: string,
  subject: string,
  count: number,
  timeoutMs = 5000,
): Promise<{ data: T; msgId: string | undefined; seq: number }[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, { filter_subjects: subject });
  const out: { data: T; msgId: string | undefined; seq: number }[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: count - out.length, expires: 1000 });
    for await (const m of batch) out.push(decode<T>(m));
  }
  return out;
}

function decode<T>(m: JsMsg): { data: T; msgId: string | undefined; seq: number } {
  return { data: m.json<T>(), msgId: m.headers?.get('Nats-Msg-Id') || undefined, seq: m.seq };
}

/** How many messages a stream holds on subjects matching `filter`. */
export async function storedCount(
  nc: NatsConnection,
  stream: string,
  filter: string,
): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** Every tick record stored for an execution so far. */
export async function readTicks(nc: NatsConnection, execId: string) {
  const count = await storedCount(nc, Streams.ticks.name, Subjects.ticks(execId));
  return readStream<TickRecordMessage>(nc, Streams.ticks.name, Subjects.ticks(execId), count);
}

/** Every event stored for an execution so far. */
export async function readEvents(nc: NatsConnection, execId: string) {
  const count = await storedCount(nc, Streams.events.name, Subjects.eventsOf(execId));
  return readStream<EventEnvelope>(nc, Streams.events.name, Subjects.eventsOf(execId), count);
}

/** A write the way the blackboard service makes it: Redis first (value JSON, version bump), then the change. */
export async function outsideWrite(
  redis: Redis,
  client: Client,
  scope: string,
  key: string,
  value: unknown,
): Promise<number> {
  const [, version] = (await redis
    .multi()
    .hset(RedisKeys.scopeValues(scope), key, JSON.stringify(value))
    .hincrby(RedisKeys.scopeVersions(scope), key, 1)
    .exec()) as [unknown, [null, number]];
  const change: BlackboardChanged = {
    scope,
    key,
    value,
    version: version[1],
    source: 'rest',
    at: new Date().toISOString(),
  };
  client.bus.publish(Subjects.bbChanged(scope), change);
  return version[1];
}

export async function registerTree(client: Client, source: string): Promise<void> {
  await client.bus.request(Subjects.treesRegister, { source }, { timeoutMs: 5000 });
}

export function createExecution(client: Client, body: Record<string, unknown>): Promise<Execution> {
  return client.bus.request<Execution>(Subjects.execCreate, body, { timeoutMs: 5000 });
}

export function getExecution(client: Client, id: string): Promise<Execution> {
  return client.bus.request<Execution>(Subjects.execGet, { id }, { timeoutMs: 5000 });
}

/** A promise with its resolve handle, for actions the test settles. */
export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
