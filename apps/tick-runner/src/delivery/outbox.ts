import { Subjects, tickMsgId } from '@canopy/contracts';
import type { JetStreamPublishError, StreamAck, TracedNats } from '@canopy/telemetry';
import type { MsgHdrs } from '@nats-io/nats-core';
import type { Log } from '../log';
import type { RunnerMetrics } from '../metrics';

/**
 * Event numbers an owner may use at the tick it found an execution at, above those of the owners
 * before it: see `numberFrom`. Far more than one tick has events (a record fits one NATS message).
 */
export const SEQ_PER_EPOCH = 2 ** 20;

/** Undelivered records an execution may have before it stops ticking until they are delivered. */
export const MAX_BACKLOG = 64;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
/** How often acknowledged records of executions that stopped committing are removed from Redis. */
const TRIM_EVERY_MS = 1000;

/** What the outbox needs besides NATS: Redis trims, stream repair, and a word when room frees up. */
export interface OutboxDeps {
  nats: TracedNats;
  /** Removes outbox entries up to each tick from Redis (the stream has them). */
  trim(throughByExec: Map<string, number>): Promise<void>;
  /** Creates the streams if NATS lost them. */
  ensureStreams(): Promise<void>;
  /** An execution that was held back by its backlog may tick again. */
  onRoom(execId: string): void;
  log: Log;
  metrics: RunnerMetrics;
}

interface Entry {
  /** The tick this entry follows (its own tick for a record). */
  tick: number;
  /** The TickRecordMessage JSON; absent for entries that only publish events. */
  record?: string | Uint8Array;
  headers?: MsgHdrs;
  /** Publishes what follows the record (its derived events) once the stream has it. */
  then?: (seq: number) => number;
  /**
   * Replayed from Redis after a takeover: the previous owner may have delivered it and its
   * events, so events follow only if the stream did not know the record yet.
   */
  replayed: boolean;
  stored: boolean;
  /** When it entered the outbox (performance.now()), for the delivery histogram. */
  since: number;
  /** The stream's dedup id of the record (contracts' `tickMsgId`). */
  msgId?: string;
  delivered?: { promise: Promise<void>; resolve(): void; reject(error: unknown): void };
}

interface Queue {
  entries: Entry[];
  /** The head record is being published. */
  sending: boolean;
  /** The last publish failed: wait for the retry. */
  blocked: boolean;
  /** The highest tick whose record (and every earlier one) the stream acknowledged. */
  ackedThrough: number;
  /** The highest tick removed from the Redis outbox. */
  trimmedThrough: number;
  /** Next `seq` of the events of `seqTick`. */
  seq: number;
  seqTick: number;
  /** Held back by MAX_BACKLOG: tell the host when there is room again. */
  waitingForRoom: boolean;
  /** The execution left this runner: drop the queue once it is delivered and trimmed. */
  released: boolean;
  /** Called when the queue becomes empty (handover waits for it). */
  idle: (() => void)[];
}

/**
 * Delivers committed tick records to CANOPY_TICKS, exactly once and in tick order per execution,
 * and the events derived from each record after the stream stored it.
 *
 * A record enters the outbox in Redis with its commit (the commit script adds it) and here right
 * after. Each execution has at most one record in flight, so the stream stores an execution's
 * records in tick order even when a publish is lost and sent again (pipelining them would let a
 * later record overtake a lost one). Different executions are delivered concurrently, and a
 * slot never waits for the stream. When the stream acknowledges a record, its events go out and it
 * is removed from Redis (piggybacked on the execution's next commit, or by a sweep every second
 * for executions that stopped committing). A publish that fails (no ack in time, NATS restarting,
 * the stream gone) is sent again with backoff, at once on reconnect, and after re-creating missing
 * streams; the stream deduplicates by `<execId>:<tick>`, so resending what it has is harmless.
 * Whatever is still undelivered when the runner dies stays in Redis and the next owner replays it.
 */
export class Outbox {
  private readonly queues = new Map<string, Queue>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private retryDelay = RETRY_MIN_MS;
  private streamsMissing = false;
  private readonly trimTimer: NodeJS.Timeout;
  private trimming: Promise<void> | undefined;
  private closed = false;
  private readonly unsubscribeReconnect: () => void;

  constructor(private readonly deps: OutboxDeps) {
    this.trimTimer = setInterval(() => void this.trimNow(), TRIM_EVERY_MS).unref();
    this.unsubscribeReconnect = deps.nats.onReconnect(() => {
      this.streamsMissing = true;
      this.retrySoon(0);
    });
  }

  /** Entries not yet delivered: of one execution, or of all. */
  backlog(execId?: string): number {
    if (execId !== undefined) return this.queues.get(execId)?.entries.length ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.entries.length;
    return n;
  }

  /** Whether the execution must wait for deliveries before its next tick; if so the host hears `onRoom`. */
  full(execId: string): boolean {
    const q = this.queues.get(execId);
    if (!q || q.entries.length < MAX_BACKLOG) return false;
    q.waitingForRoom = true;
    return true;
  }

  /** What the next commit of this execution may remove from its Redis outbox. */
  trimmable(execId: string): number | undefined {
    const q = this.queues.get(execId);
    return q && q.ackedThrough > q.trimmedThrough ? q.ackedThrough : undefined;
  }

  /** A commit removed entries up to `through`. */
  trimmed(execId: string, through: number): void {
    const q = this.queues.get(execId);
    if (q && through > q.trimmedThrough) q.trimmedThrough = through;
  }

  /**
   * A committed tick's record; resolves once the stream has it. `then` publishes its events with
   * `seq` as the first event number and returns the next one.
   */
  add(
    execId: string,
    tick: number,
    record: string | Uint8Array,
    headers: MsgHdrs,
    then: (seq: number) => number,
    msgId = tickMsgId(execId, tick),
  ): Promise<void> {
    const entry: Entry = { tick, record, headers, then, replayed: false, stored: false, since: performance.now(), msgId };
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    entry.delivered = { promise, resolve, reject };
    this.push(execId, entry);
    return promise;
  }

  /**
   * An owner that loads an execution at `tick` does not know how many events earlier owners
   * published at that tick (the tick's own, then pauses, hits, commands...), and clients keep the
   * highest `(tick, seq)` they saw and skip anything not after it. So events this owner adds at
   * that tick are numbered from `epoch × SEQ_PER_EPOCH`: the shard's lease epoch grows with every
   * owner, so they come after everything before them. The next tick's events start at 0 again.
   */
  numberFrom(execId: string, tick: number, epoch: number): void {
    const q = this.queue(execId);
    if (q.seqTick > tick) return;
    q.seqTick = tick;
    q.seq = Math.max(q.seq, epoch * SEQ_PER_EPOCH);
  }

  /** Events outside a tick (lifecycle changes): published after everything queued before them. */
  addEvents(execId: string, tick: number, publish: (seq: number) => number): void {
    this.push(execId, { tick, then: publish, replayed: false, stored: true, since: 0 });
  }

  /**
   * Records a previous owner committed and maybe never delivered, oldest first, queued before any
   * new tick. `then` publishes a record's events, only if the stream did not have the record yet.
   */
  replay(execId: string, records: { tick: number; record: string; then: (seq: number) => number; msgId?: string }[]): void {
    const q = this.queue(execId);
    for (const { tick, record, then, msgId } of records) {
      if (tick <= q.ackedThrough || q.entries.some((e) => e.record !== undefined && e.tick === tick)) continue;
      this.push(execId, { tick, record, then, replayed: true, stored: false, since: performance.now(), msgId });
    }
  }

  /**
   * Resolves once everything queued for these executions is delivered, or after `timeoutMs` (NATS
   * may be away: what is left stays in Redis for the next owner), then removes what was delivered
   * from Redis so the next owner does not publish it again.
   */
  async settle(execIds: string[], timeoutMs: number): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of execIds) {
      const q = this.queues.get(id);
      if (q && q.entries.length > 0) waits.push(new Promise((resolve) => q.idle.push(resolve)));
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waits), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    // A sweep already running may predate the last acks: let it finish, then trim what is left.
    await this.trimming;
    await this.trimNow();
  }

  /** The execution left this runner: its queue goes once it is delivered and trimmed. */
  forget(execId: string): void {
    const q = this.queues.get(execId);
    if (!q) return;
    q.released = true;
    this.dropIfDone(execId, q);
  }

  private dropIfDone(execId: string, q: Queue): void {
    if (q.released && q.entries.length === 0 && q.trimmedThrough >= q.ackedThrough) this.queues.delete(execId);
  }

  /** Fails what still waits for delivery (the records stay in Redis for the next owner). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimTimer);
    clearTimeout(this.retryTimer);
    this.unsubscribeReconnect();
    for (const q of this.queues.values()) {
      for (const e of q.entries) e.delivered?.reject(new Error('runner stopped before the record was delivered'));
      q.entries.length = 0;
      for (const resolve of q.idle.splice(0)) resolve();
    }
  }

  /** Removes acknowledged entries from Redis for executions whose commits did not carry the trim. */
  trimNow(): Promise<void> {
    if (this.trimming) return this.trimming;
    const through = new Map<string, number>();
    for (const [id, q] of this.queues) if (q.ackedThrough > q.trimmedThrough) through.set(id, q.ackedThrough);
    if (through.size === 0) return Promise.resolve();
    this.trimming = this.deps
      .trim(through)
      .then(() => {
        for (const [id, tick] of through) {
          this.trimmed(id, tick);
          const q = this.queues.get(id);
          if (q) this.dropIfDone(id, q);
        }
      })
      .catch((error: unknown) => this.deps.log.warn({ err: error }, 'outbox trim failed; will retry'))
      .finally(() => {
        this.trimming = undefined;
      });
    return this.trimming;
  }

  private queue(execId: string): Queue {
    let q = this.queues.get(execId);
    if (!q) {
      q = {
        entries: [],
        sending: false,
        blocked: false,
        ackedThrough: 0,
        trimmedThrough: 0,
        seq: 0,
        seqTick: -1,
        waitingForRoom: false,
        released: false,
        idle: [],
      };
      this.queues.set(execId, q);
    }
    return q;
  }

  private push(execId: string, entry: Entry): void {
    const q = this.queue(execId);
    q.entries.push(entry);
    if (this.closed) {
      entry.delivered?.reject(new Error('runner stopped'));
      return;
    }
    this.pump(execId, q);
  }

  /** Emits what needs no ack at the head, then sends the head record if nothing is in flight. */
  private pump(execId: string, q: Queue): void {
    while (!q.sending && !q.blocked && q.entries.length > 0) {
      const head = q.entries[0];
      if (head.record === undefined) {
        q.entries.shift();
        this.emit(execId, q, head);
        continue;
      }
      q.sending = true;
      const headers = head.headers ?? this.deps.nats.traceHeaders();
      this.deps.nats.sendAcked(Subjects.ticks(execId), head.record, head.msgId ?? tickMsgId(execId, head.tick), headers).then(
        (ack) => this.acked(execId, q, head, ack),
        (error: JetStreamPublishError) => this.failed(execId, q, head, error),
      );
    }
    if (q.waitingForRoom && q.entries.length < MAX_BACKLOG) {
      q.waitingForRoom = false;
      this.deps.onRoom(execId);
    }
    if (q.entries.length === 0) {
      for (const resolve of q.idle.splice(0)) resolve();
      this.dropIfDone(execId, q);
    }
  }

  private acked(execId: string, q: Queue, entry: Entry, ack: StreamAck): void {
    q.sending = false;
    if (this.closed) return;
    this.retryDelay = RETRY_MIN_MS;
    entry.stored = !ack.duplicate;
    this.deps.metrics.observeDelivery(performance.now() - entry.since);
    q.entries.shift();
    q.ackedThrough = Math.max(q.ackedThrough, entry.tick);
    this.emit(execId, q, entry);
    this.pump(execId, q);
  }

  private failed(execId: string, q: Queue, entry: Entry, error: JetStreamPublishError): void {
    q.sending = false;
    if (this.closed) return;
    this.deps.metrics.publishFailures++;
    if (!q.blocked) {
      this.deps.log.warn({ err: error, execId, tick: entry.tick, failure: error.failure }, 'tick record not acknowledged; will resend');
    }
    q.blocked = true;
    if (error.failure === 'no-stream') this.streamsMissing = true;
    this.retrySoon(this.retryDelay);
  }

  /** Publishes what follows a delivered entry (its events) and answers whoever waits for it. */
  private emit(execId: string, q: Queue, entry: Entry): void {
    // A replayed record the stream did not have: nothing of its tick was published, count from 0.
    if (entry.record !== undefined && (q.seqTick !== entry.tick || (entry.replayed && entry.stored))) {
      q.seqTick = entry.tick;
      q.seq = 0;
    }
    // A replayed record the stream already had was delivered, events and all, by its committer.
    if (entry.then && (!entry.replayed || entry.stored)) {
      try {
        q.seq = entry.then(q.seq);
      } catch (error) {
        this.deps.log.error({ err: error, execId, tick: entry.tick }, 'publishing events failed');
      }
    }
    entry.delivered?.resolve();
  }

  /** Schedules a retry in `delay` ms, unless one is due sooner. */
  private retrySoon(delay: number): void {
    if (this.closed) return;
    const at = Date.now() + delay;
    if (this.retryTimer !== undefined && this.retryAt <= at) return;
    clearTimeout(this.retryTimer);
    this.retryAt = at;
    this.retryTimer = setTimeout(() => void this.retry(), delay);
  }

  private async retry(): Promise<void> {
    this.retryTimer = undefined;
    if (this.streamsMissing) {
      try {
        await this.deps.ensureStreams();
        this.streamsMissing = false;
      } catch (error) {
        this.deps.log.warn({ err: error }, 'streams could not be ensured; retrying');
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
        this.retrySoon(this.retryDelay);
        return;
      }
    }
    // The delay grows while failures continue; the first ack resets it.
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    for (const [execId, q] of this.queues) {
      if (!q.blocked) continue;
      q.blocked = false;
      this.pump(execId, q);
    }
  }
}
