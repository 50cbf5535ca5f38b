import {
  Consumers,
  Streams,
  Subjects,
  TickRecordMessageSchema,
  type TickRecordMessage,
} from '@canopy/contracts';
import { AppError, HealthRegistry, LOGGER } from '@canopy/service-kit';
import { contextFromHeaders, TracedNats, withSpan } from '@canopy/telemetry';
import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { HISTORY_CONFIG, type HistoryConfig } from '../config';
import { HistoryMetrics } from './history-metrics';
import { HistoryWriter } from './history-writer';
import { KeyedSerializer } from './keyed-serializer';

const NANOS_PER_MS = 1_000_000;
/** How long one pull waits for records before asking again. */
const FETCH_EXPIRES_MS = 1000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
/** A record that keeps failing for another reason than Redis is given up after this many tries. */
const MAX_ATTEMPTS = 5;

/**
 * The durable pull consumer `Consumers.history` on CANOPY_TICKS. It pulls batches of
 * HISTORY_BATCH records, the next pull overlapping the previous batch's writes (so at most twice
 * HISTORY_BATCH records are in flight), handles the records of one
 * execution in stream order and different executions concurrently, and acknowledges each record
 * only after its Redis write. A history service that was down resumes where its acks stopped;
 * redelivered or republished records are stored once (the write ignores a tick already stored).
 *
 * The ack wait is short (HISTORY_ACK_WAIT_MS), so the records a crashed process held come back
 * within seconds; while alive, this process tells the server it is still working on every record
 * it holds (queued behind another record of its execution, or retrying) every third of it.
 */
@Injectable()
export class TickConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private attached = false;
  private loop: Promise<void> | undefined;
  private readonly perExecution = new KeyedSerializer();
  /** Records being handled, over the current and the previous pull. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Records fetched and not yet acknowledged (or given back). */
  private readonly held = new Set<JsMsg>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** The pull being read, ended at shutdown: with NATS away it would wait for the server. */
  private batch: ConsumerMessages | undefined;
  /** Cuts the waits between retries short at shutdown. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly nats: TracedNats,
    private readonly writer: HistoryWriter,
    private readonly metrics: HistoryMetrics,
    private readonly health: HealthRegistry,
    @Inject(HISTORY_CONFIG) private readonly config: HistoryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.HISTORY_CONSUME) return;
    this.health.register('ticks-consumer', async () => {
      if (!this.attached) throw new Error(`not attached to ${Streams.ticks.name} yet`);
    });
    this.running = true;
    this.heartbeat = setInterval(() => {
      for (const msg of this.held) msg.working();
    }, this.config.HISTORY_ACK_WAIT_MS / 3);
    this.heartbeat.unref();
    this.loop = this.run();
  }

  /** Stops pulling and lets the records in flight finish, before NATS and Redis close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    void this.batch?.close();
    await this.loop;
    clearInterval(this.heartbeat);
  }

  private async run(): Promise<void> {
    let waitingLogged = false;
    while (this.running) {
      try {
        const consumer = await this.attach();
        this.attached = true;
        waitingLogged = false;
        this.logger.info({ consumer: Consumers.history }, 'consuming tick records');
        try {
          while (this.running) await this.pullBatch(consumer);
        } finally {
          await Promise.allSettled([...this.inFlight]);
        }
      } catch (error) {
        this.attached = false;
        if (!this.running) break;
        if (!waitingLogged) {
          // Usually the runners have not created the stream yet: say so once, without a stack.
          const reason = error instanceof Error ? error.message : String(error);
          this.logger.warn({ reason }, `cannot consume ${Streams.ticks.name} yet; retrying`);
          waitingLogged = true;
        }
        await sleep(1000, this.stopping.signal);
      }
    }
  }

  /**
   * Creates the durable consumer if missing (the runners create the stream), or brings one created
   * with other settings (an older version's 30 s ack wait) to these: a deployed stream keeps its
   * consumer across upgrades.
   */
  private async attach(): Promise<Consumer> {
    const jsm = await jetstreamManager(this.nats.connection);
    const stream = Streams.ticks.name;
    const wanted = this.consumerSettings();
    const existing = await jsm.consumers.info(stream, Consumers.history).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)
        return undefined;
      throw error;
    });
    if (!existing) {
      await jsm.consumers.add(stream, {
        durable_name: Consumers.history,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...wanted,
      });
    } else if (differs(existing.config, wanted)) {
      await jsm.consumers.update(stream, Consumers.history, wanted);
      this.logger.info(
        { consumer: Consumers.history, from: pick(existing.config, wanted), to: wanted },
        'tick consumer settings updated',
      );
    }
    return this.nats.jetstream.consumers.get(stream, Consumers.history);
  }

  private consumerSettings(): ConsumerSettings {
    return {
      ack_wait: this.config.HISTORY_ACK_WAIT_MS * NANOS_PER_MS,
      max_ack_pending: Math.max(1000, this.config.HISTORY_BATCH * 2),
      filter_subject: Subjects.ticksAll,
    };
  }

  /**
   * One pull: records are handled as they arrive. The next pull does not wait for this batch's
   * writes, only until at most HISTORY_BATCH records are still being handled, so a fetch round
   * trip and a batch's slowest write no longer stall ingestion (the per-execution serializer
   * keeps one execution's records in stream order across batches).
   */
  private async pullBatch(consumer: Consumer): Promise<void> {
    const batch = await consumer.fetch({
      max_messages: this.config.HISTORY_BATCH,
      expires: FETCH_EXPIRES_MS,
    });
    this.batch = batch;
    if (!this.running) void batch.close();
    for await (const msg of batch) {
      const record = this.decode(msg);
      if (!record) continue;
      this.held.add(msg);
      const work = this.perExecution
        .run(record.execId, () => this.handle(msg, record))
        .catch((error: unknown) => {
          // handle() settles every record itself; this only keeps a bug from going unnoticed.
          this.logger.error({ err: error, seq: msg.seq }, 'tick record handling failed');
        })
        .finally(() => this.held.delete(msg));
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
    while (this.inFlight.size > this.config.HISTORY_BATCH) await Promise.race(this.inFlight);
  }

  private decode(msg: JsMsg): TickRecordMessage | undefined {
    let payload: unknown;
    try {
      payload = msg.json();
    } catch {
      payload = undefined;
    }
    const parsed = TickRecordMessageSchema.safeParse(payload);
    if (parsed.success) return payload as TickRecordMessage;
    // Redelivering a malformed record cannot make it valid: drop it, loudly.
    this.logger.error(
      { subject: msg.subject, seq: msg.seq, issues: parsed.error?.issues.slice(0, 5) },
      'malformed tick record dropped',
    );
    msg.term();
    return undefined;
  }

  private handle(msg: JsMsg, record: TickRecordMessage): Promise<void> {
    return withSpan(
      'canopy.ticks.* process',
      async (span) => {
        span.setAttributes({ 'canopy.exec_id': record.execId, 'canopy.tick': record.tick });
        let backoff = RETRY_MIN_MS;
        for (let attempt = 1; ; attempt++) {
          try {
            const outcome = await this.writer.ingest(record);
            this.metrics.ingested(record, outcome);
            span.setAttribute('canopy.history', outcome);
            msg.ack();
            return;
          } catch (error) {
            const outage = error instanceof AppError && error.code === 'DEPENDENCY_UNAVAILABLE';
            const where = { err: error, execId: record.execId, tick: record.tick, attempt };
            if (!this.running) {
              msg.nak();
              return;
            }
            if (!outage && attempt >= MAX_ATTEMPTS) {
              this.logger.error(where, 'tick record could not be stored; dropped');
              msg.term();
              return;
            }
            this.logger.warn(where, 'storing tick record failed; retrying');
            await sleep(backoff, this.stopping.signal);
            backoff = Math.min(backoff * 2, RETRY_MAX_MS);
          }
        }
      },
      {
        parent: contextFromHeaders(msg.headers),
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject },
      },
    );
  }
}

type ConsumerSettings = Pick<ConsumerConfig, 'ack_wait' | 'max_ack_pending' | 'filter_subject'>;

function pick(
  config: Partial<ConsumerConfig>,
  wanted: ConsumerSettings,
): Partial<ConsumerSettings> {
  return Object.fromEntries(
    Object.keys(wanted).map((key) => [key, config[key as keyof ConsumerSettings]]),
  );
}

function differs(config: Partial<ConsumerConfig>, wanted: ConsumerSettings): boolean {
  return Object.entries(wanted).some(
    ([key, value]) => config[key as keyof ConsumerSettings] !== value,
  );
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
