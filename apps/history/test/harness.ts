import {
  Consumers,
  Streams,
  Subjects,
  tickMsgId,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
  type TickRecordMessage,
  type TreeSummary,
} from '@canopy/contracts';
import { compile } from '@canopy/dsl';
import {
  buildTree,
  ManualClock,
  MemoryBlackboard,
  type BehaviorTree,
  type Checkpoint,
  type Status,
} from '@canopy/engine';
import { loadConfig } from '@canopy/service-kit';
import { createLogger, NatsRequestError, TracedNats } from '@canopy/telemetry';
import {
  type NatsHandle,
  type RedisHandle,
  type ServiceProcess,
  startNats,
  startRedis,
  startService,
  waitFor,
  waitForShards,
} from '@canopy/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { HistoryConfigSchema } from '../src/config';
import { createHistory } from '../src/service';

const LOG_LEVEL = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent';
/** The runner process logs to a temp file; `silent` would hide why it failed to start. */
const SERVICE_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';

/** The runner's SHARD_COUNT (fork.spec.ts addresses owners with it). */
const RUNNER_SHARDS = 4;

export { waitFor };

export interface Stack {
  nats: NatsHandle;
  redis: RedisHandle;
  /**
   * The real tick runner, as its own process: tree registry, executions, and CANOPY_TICKS
   * (created at its start). It holds all `RUNNER_SHARDS` shards once `startStack` resolves.
   */
  runner: ServiceProcess;
  /** A NATS client acting as the gateway or a runner publishing tick records. */
  client: TracedNats;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** `appendonly`: Redis keeps its data across `stack.redis.restart()`. */
export async function startStack(opts: { appendonly?: boolean } = {}): Promise<Stack> {
  const [nats, redis] = await Promise.all([
    startNats(),
    startRedis({ appendonly: opts.appendonly }),
  ]);
  const env = { NATS_URL: nats.url, REDIS_URL: redis.url, PORT: '0', LOG_LEVEL };
  const runner = await startService('tick-runner', {
    name: 'runner-a',
    env: {
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      SHARD_COUNT: String(RUNNER_SHARDS),
      RUNNER_ID: 'runner-a',
      LOG_LEVEL: SERVICE_LOG_LEVEL,
    },
  });
  try {
    await waitForShards([runner], RUNNER_SHARDS);
  } catch (error) {
    await runner.dispose();
    await Promise.all([nats.dispose(), redis.dispose()]);
    throw error;
  }
  const nc = await connect({ servers: nats.url });
  const client = new TracedNats(nc, jetstream(nc), {
    logger: createLogger('history-spec-client', { level: LOG_LEVEL }),
  });
  return {
    nats,
    redis,
    runner,
    client,
    env,
    dispose: async () => {
      await client.drain();
      await runner.dispose();
      await Promise.all([nats.dispose(), redis.dispose()]);
    },
  };
}

/** The real history service, in-process (HTTP not listening). */
export function startHistory(
  stack: Stack,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  return createHistory(
    loadConfig(HistoryConfigSchema, { ...stack.env, ...env }),
    createLogger('history', { level: LOG_LEVEL }),
  );
}

export function call<S extends RequestSubject>(
  stack: Stack,
  subject: S,
  req: RequestOf<S>,
): Promise<ReplyOf<S>> {
  return stack.client.request<ReplyOf<S>>(subject, req, { timeoutMs: 10_000 });
}

/** The error body a request was answered with (fails if it succeeded). */
export async function errorOf(
  stack: Stack,
  subject: RequestSubject,
  req: unknown,
): Promise<{ code: string; message: string; [k: string]: unknown }> {
  try {
    await stack.client.request(subject, req, { timeoutMs: 10_000 });
  } catch (error) {
    if (error instanceof NatsRequestError && error.failure === 'remote')
      return error.toBody().error;
    throw error;
  }
  throw new Error(`${subject} succeeded, expected an error reply`);
}

export async function registerTree(stack: Stack, source: string): Promise<TreeSummary> {
  return stack.client.request<TreeSummary>(
    Subjects.treesRegister,
    { source },
    { timeoutMs: 10_000 },
  );
}

/** Publishes records to CANOPY_TICKS as a runner does: `Nats-Msg-Id: <execId>:<tick>`. */
export async function publish(
  stack: Stack,
  messages: TickRecordMessage[],
  msgId: (m: TickRecordMessage) => string = (m) => tickMsgId(m.execId, m.tick),
): Promise<void> {
  await Promise.all(
    messages.map((m) => stack.client.jsPublish(Subjects.ticks(m.execId), m, { msgID: msgId(m) })),
  );
}

/** Resolves once history acknowledged every record in the stream. */
export async function consumerIdle(stack: Stack, timeoutMs = 15_000): Promise<void> {
  const jsm = await jetstreamManager(stack.client.connection);
  await waitFor(
    'the history consumer to acknowledge everything',
    async () => {
      const info = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    timeoutMs,
  );
}

export interface EngineState {
  status: Status;
  statuses: Record<string, Status>;
  blackboard: {
    exec: Record<string, unknown>;
    team: Record<string, unknown>;
    global: Record<string, unknown>;
  };
  checkpoint: Checkpoint;
}

/**
 * An execution ticked by the embedded engine, producing the `TickRecordMessage`s a runner would
 * publish and the engine's own state after each tick (the truth history is checked against).
 */
export class EngineRun {
  readonly messages: TickRecordMessage[] = [];
  /** By tick (index 0 unused). */
  readonly states: EngineState[] = [];
  readonly tree: BehaviorTree;
  readonly clock: ManualClock;
  private readonly bb: MemoryBlackboard;

  constructor(
    readonly execId: string,
    source: string,
    opts: {
      version?: number;
      exec?: Record<string, unknown>;
      team?: Record<string, unknown>;
      global?: Record<string, unknown>;
      startAt?: number;
      stepMs?: number;
    } = {},
  ) {
    const { document, errors } = compile(source);
    if (!document) throw new Error(`does not compile: ${errors.map((e) => e.message).join('; ')}`);
    this.bb = new MemoryBlackboard({ exec: opts.exec, team: opts.team, global: opts.global });
    this.clock = new ManualClock(opts.startAt ?? Date.now());
    this.tree = buildTree(document, { execId, blackboard: this.bb, clock: this.clock });
    this.stepMs = opts.stepMs ?? 10;
    this.version = opts.version ?? 1;
  }

  private readonly stepMs: number;
  private readonly version: number;

  /** Ticks `count` times; returns the new messages. */
  run(count: number, each?: (m: TickRecordMessage) => void): TickRecordMessage[] {
    const out: TickRecordMessage[] = [];
    for (let i = 0; i < count; i++) {
      const record = this.tree.tick();
      const checkpoint = this.tree.checkpoint();
      const message: TickRecordMessage = {
        ...record,
        execId: this.execId,
        tree: this.tree.name,
        version: this.version,
        runner: 'runner-under-test',
        epoch: 1,
        checkpoint,
      };
      each?.(message);
      this.messages.push(message);
      this.states[record.tick] = {
        status: record.status,
        statuses: this.tree.statuses(),
        blackboard: {
          exec: this.bb.snapshot('exec'),
          team: this.bb.snapshot('team'),
          global: this.bb.snapshot('global'),
        },
        checkpoint,
      };
      out.push(message);
      this.clock.advance(this.stepMs);
    }
    return out;
  }
}

/** What a describe block gets from `useStack`, filled in before its tests run. */
export interface StackFixture {
  stack: Stack;
  /** A plain client of the stack's Redis, to look at what history stored. */
  redis: Redis;
  /** The history service under test; tests may stop it and start another. Closed after the block. */
  history: NestFastifyApplication | undefined;
}

/**
 * For one describe block: the stack (NATS, Redis, the runner), `trees` registered, and, unless
 * `history` is false, a history service started with that environment; all stopped after it.
 */
export function useStack(opts: {
  trees: string[];
  appendonly?: boolean;
  history?: Record<string, string> | false;
}): StackFixture {
  const fx = {} as StackFixture;
  beforeAll(async () => {
    fx.stack = await startStack({ appendonly: opts.appendonly });
    fx.redis = new Redis(fx.stack.redis.url);
    for (const source of opts.trees) await registerTree(fx.stack, source);
    if (opts.history !== false) fx.history = await startHistory(fx.stack, opts.history ?? {});
  });
  afterAll(async () => {
    await fx.history?.close();
    fx.redis?.disconnect();
    await fx.stack?.dispose();
  });
  return fx;
}
