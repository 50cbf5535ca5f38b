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
  DeliverPolicy,
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
import type { Logger } from 'pino';
import { HISTORY_CONFIG, type HistoryConfig } from '../config';
import { HistoryWriter } from './history-writer';
import { KeyedSerializer } from './keyed-serializer';

const NANOS_PER_MS = 1_000_000;
/** Unacknowledged records come back after this (retries in progress keep theirs with `working`). */
const ACK_WAIT_MS = 30_000;
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
 */
@Injectable()
export class TickConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private attached = false;
  private loop: Promise<void> | undefined;
  private readonly perExecution = new KeyedSerializer();
  /** Records being handled, over the current and the previous pull. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly nats: TracedNats,
    private readonly writer: HistoryWriter,
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
    this.loop = this.run();
  }

  /** Stops pulling and lets the records in flight finish, before NATS and Redis close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    await this.loop;
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
        await sleep(1000);
      }
    }
  }

  /** Creates the durable consumer if missing (the runners create the stream). */
  private async attach(): Promise<Consumer> {
    const jsm = await jetstreamManager(this.nats.connection);
    const stream = Streams.ticks.name;
    try {
      await jsm.consumers.info(stream, Consumers.history);
    } catch {
      await jsm.consumers.add(stream, {
        durable_name: Consumers.history,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ACK_WAIT_MS * NANOS_PER_MS,
        max_ack_pending: Math.max(1000, this.config.HISTORY_BATCH * 2),
        filter_subject: Subjects.ticksAll,
      });
    }
    return this.nats.jetstream.consumers.get(stream, Consumers.history);
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
    for await (const msg of batch) {
      const record = this.decode(msg);
      if (!record) continue;
      const work = this.perExecution
        .run(record.execId, () => this.handle(msg, record))
        .catch((error: unknown) => {
          // handle() settles every record itself; this only keeps a bug from going unnoticed.
          this.logger.error({ err: error, seq: msg.seq }, 'tick record handling failed');
        });
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
            msg.working();
            await sleep(backoff);
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
