import { MSG_ID_HEADER, Streams } from '@canopy/contracts';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/**
 * What the `CANOPY_TICKS` stream holds, per execution: how many records of each tick. Read with a
 * JetStream consumer delivering headers only (the dedup id `Nats-Msg-Id: <execId>:<createdAt ms>:<tick>` names
 * the tick), incrementally: each `sync()` reads what was appended since the last one.
 */
export class StreamTicks {
  private readonly counts = new Map<string, Map<number, number>>();
  private nextSeq = 1;
  /** Records whose dedup id does not name an execution and tick (a runner must always set it). */
  unidentified = 0;

  constructor(private readonly nc: NatsConnection) {}

  /** Reads every record appended since the last call, up to the stream's last sequence now. */
  async sync(timeoutMs = 30_000): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const { state } = await jsm.streams.info(Streams.ticks.name);
    if (state.last_seq < this.nextSeq) return;
    const consumer = await jetstream(this.nc).consumers.get(Streams.ticks.name, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.nextSeq,
      headers_only: true,
    });
    const deadline = Date.now() + timeoutMs;
    while (this.nextSeq <= state.last_seq) {
      if (Date.now() > deadline)
        throw new Error(`read the stream up to ${this.nextSeq - 1} of ${state.last_seq}`);
      const batch = await consumer.fetch({
        max_messages: Math.min(5000, state.last_seq - this.nextSeq + 1),
        expires: 2000,
      });
      for await (const m of batch) {
        this.add(m.headers?.get(MSG_ID_HEADER) ?? '');
        this.nextSeq = m.seq + 1;
        if (m.seq >= state.last_seq) break;
      }
    }
  }

  /** Tick -> how many records the stream holds for it. */
  ticksOf(execId: string): ReadonlyMap<number, number> {
    return this.counts.get(execId) ?? new Map();
  }

  /** The highest tick stored for the execution (0 for none). */
  maxTick(execId: string): number {
    let max = 0;
    for (const tick of this.ticksOf(execId).keys()) max = Math.max(max, tick);
    return max;
  }

  /** True when every tick in `(from, to]` is stored. */
  holdsRange(execId: string, from: number, to: number): boolean {
    const ticks = this.ticksOf(execId);
    for (let t = from + 1; t <= to; t++) if (!ticks.has(t)) return false;
    return true;
  }

  /** How many distinct ticks in `(from, to]` are stored. */
  countIn(execId: string, from: number, to: number): number {
    let n = 0;
    for (const tick of this.ticksOf(execId).keys()) if (tick > from && tick <= to) n++;
    return n;
  }

  /** Ticks stored more than once. */
  duplicates(execId: string): number[] {
    return [...this.ticksOf(execId)].filter(([, n]) => n > 1).map(([tick]) => tick);
  }

  private add(msgId: string): void {
    // `<execId>:<createdAt ms>:<tick>` (or `<execId>:<tick>`): ids have no colon.
    const at = msgId.lastIndexOf(':');
    const execId = msgId.slice(0, msgId.indexOf(':'));
    const tick = Number(msgId.slice(at + 1));
    if (at <= 0 || !Number.isInteger(tick)) {
      this.unidentified++;
      return;
    }
    let ticks = this.counts.get(execId);
    if (!ticks) this.counts.set(execId, (ticks = new Map()));
    ticks.set(tick, (ticks.get(tick) ?? 0) + 1);
  }
}
