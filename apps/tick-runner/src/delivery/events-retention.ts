import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Streams } from '@canopy/contracts';
import type { Log } from '../log';

const NANOS_PER_MS = 1_000_000;
/** How often the stream's size and age are looked at. */
export const RETENTION_CHECK_MS = 1000;
/** Messages older than this share of the stream's max_age are purged. */
const AGE_SHARE = 0.9;
/** Above this share of max_bytes (or max_msgs) the oldest messages are purged... */
const SIZE_HIGH = 0.75;
/** ...down to this share. */
const SIZE_LOW = 0.5;

/** What one look at the stream did. */
export interface RetentionPass {
  /** Messages purged (0: the stream is within its limits). */
  purged: number;
  /** Why, when something was purged. */
  reason?: 'age' | 'size';
}

/**
 * Keeps CANOPY_EVENTS inside its own limits (max_age, max_bytes, max_msgs) by purging its oldest
 * messages in one request, before nats-server would evict them one by one.
 *
 * Why: nats-server 2.9 (Debian bookworm's, which `.ci/run` and the local images install) removes
 * an evicted message from its subject's index by scanning forward for the subject's next
 * message. The events stream interleaves one subject per execution and event type, so each
 * eviction costs in proportion to the executions ticking: measured with 2,000 executions, 5.7 µs
 * of server CPU per stored event below the limit and 220-340 µs once the stream was full, which
 * left NATS unable to keep up (docs/performance.md). A purge up to a sequence costs about 0.2 µs
 * per message. The stream's limits stay as configured (operators tune them): this keeps it under
 * them, so NATS's own eviction is only the fallback if no runner is running this.
 *
 * Every runner runs it; purges up to a sequence are idempotent, so runners need not agree.
 * Age is tracked by sampling the stream's last sequence at each check: messages up to the last
 * sequence seen at least `AGE_SHARE × max_age` ago are purged (the age is exact to a check).
 */
export class EventsRetention {
  private readonly samples: { at: number; lastSeq: number }[] = [];
  private jsm: Promise<JetStreamManager> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionPass> | undefined;
  private warned = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Log,
    private readonly stream: string = Streams.events.name,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.check().catch(() => undefined), RETENTION_CHECK_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the stream, purging what is over its limits; `now` is injectable for tests. */
  check(now = Date.now()): Promise<RetentionPass> {
    this.running ??= this.pass(now)
      .catch((error: unknown) => {
        this.jsm = undefined;
        // A missing stream is the outbox's to re-create; a permission error means an old broker config.
        if (!this.warned) this.log.warn({ err: error, stream: this.stream }, 'events retention check failed; NATS evicts by itself');
        this.warned = true;
        return { purged: 0 };
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(now: number): Promise<RetentionPass> {
    const jsm = await (this.jsm ??= jetstreamManager(this.nc));
    const { config, state } = await jsm.streams.info(this.stream);
    this.warned = false;
    const last = this.samples.at(-1);
    // The stream was created again (a NATS restart loses a memory stream): older samples mean nothing.
    if (last && state.last_seq < last.lastSeq) this.samples.length = 0;
    this.samples.push({ at: now, lastSeq: state.last_seq });

    let keepFrom = 0;
    let reason: RetentionPass['reason'];
    const maxAgeMs = config.max_age / NANOS_PER_MS;
    if (maxAgeMs > 0) {
      const before = now - AGE_SHARE * maxAgeMs;
      let oldEnough = -1;
      while (oldEnough + 1 < this.samples.length && this.samples[oldEnough + 1].at <= before) oldEnough++;
      if (oldEnough >= 0) {
        keepFrom = this.samples[oldEnough].lastSeq + 1;
        reason = 'age';
        // The samples before it are older still: they would never purge more than it does.
        this.samples.splice(0, oldEnough);
      }
    }
    const keep = Math.min(
      keepFor(state.bytes, config.max_bytes, state.messages),
      keepFor(state.messages, config.max_msgs, state.messages),
    );
    if (keep < state.messages && state.last_seq - keep + 1 > keepFrom) {
      keepFrom = state.last_seq - keep + 1;
      reason = 'size';
    }
    if (keepFrom <= state.first_seq) return { purged: 0 };
    const { purged } = await jsm.streams.purge(this.stream, { seq: keepFrom });
    return { purged, reason };
  }
}

/** How many of the newest messages to keep so that `used` is back to SIZE_LOW of `max` (all if under SIZE_HIGH). */
function keepFor(used: number, max: number, messages: number): number {
  if (!(max > 0) || used <= SIZE_HIGH * max || used === 0) return messages;
  return Math.floor((messages * SIZE_LOW * max) / used);
}
