import { TimerHeap } from './timer-heap';
import { WindowedMax } from './windowed-max';

/** Time and timers, injectable so tests can drive the scheduler deterministically. */
export interface SchedulerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Runs `fn` after pending I/O callbacks: lets commands and other executions in between slots. */
  yield(fn: () => void): void;
}

export const realSchedulerClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  yield: (fn) => setImmediate(fn),
};

/** Runs one slot: every key ready at the same moment, so their I/O can be batched. */
export type SlotRunner<K> = (batch: K[]) => Promise<void>;

export interface SchedulerStats {
  slots: number;
  /** Worst lag (ms) of a timer entry behind its due time over the last 10 s. */
  maxLagMs: number;
}

/**
 * One scheduler per runner. Work arrives three ways: `enqueue` (run in the next slot: manual ticks,
 * triggers, the auto loop), `at` (a timer heap entry: interval executions, event executions whose
 * root is RUNNING), and both coalesce per key, so a key is in a slot at most once.
 *
 * Up to MAX_SLOTS_IN_FLIGHT slots run at once, and a key is in at most one of them: a key that
 * becomes ready while its slot is in flight waits for that slot to end, so it is never ticked
 * re-entrantly and its ticks commit in order. One slot's I/O (a Redis batch, publishes) covers every
 * key due together. A slot spends most of its time waiting for Redis: the next one ticks what came
 * due meanwhile instead of waiting behind it (the lag of a timer entry is then about one slot's
 * CPU time, not its round trip). Slots start from a yield to the event loop (setImmediate), so NATS
 * commands and other callbacks are served even while auto executions spin.
 */
/** Slots in flight at once: one ticking while the one before waits for its commits. */
export const MAX_SLOTS_IN_FLIGHT = 2;

export class Scheduler<K> {
  private readonly heap = new TimerHeap<K>();
  private ready = new Set<K>();
  private timer: unknown;
  private timerDue = Number.POSITIVE_INFINITY;
  /** Slots in flight, and the slot each key in them belongs to. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busy = new Map<K, Promise<void>>();
  private kickPending = false;
  private stopped = false;
  private slots = 0;
  /** Timer lag over a sliding window: reading it resets nothing (several scrapers, one answer). */
  private readonly lag = new WindowedMax(1000, 10);

  constructor(
    private readonly runSlot: SlotRunner<K>,
    private readonly clock: SchedulerClock = realSchedulerClock,
    private readonly onSlotError: (error: unknown) => void = () => undefined,
  ) {}

  /** Runs `key` in the next slot. */
  enqueue(key: K): void {
    if (this.stopped) return;
    this.ready.add(key);
    this.kick();
  }

  /** Runs `key` at `due` (epoch ms), replacing any timer entry it had. */
  at(key: K, due: number): void {
    if (this.stopped) return;
    this.heap.push(key, due);
    this.arm();
  }

  /** Forgets every pending run of `key` (a slot already running it finishes). */
  cancel(key: K): void {
    this.ready.delete(key);
    if (this.heap.remove(key)) this.arm();
  }

  dueOf(key: K): number | undefined {
    return this.heap.dueOf(key);
  }

  readStats(): SchedulerStats {
    return { slots: this.slots, maxLagMs: this.lag.max(this.clock.now()) };
  }

  /**
   * Resolves once none of `keys` is in a slot in flight (all keys: once no slot is). It resolves
   * before a next slot can start (slots start from a yield), so the caller may act on those keys
   * in between.
   */
  async idle(keys?: Iterable<K>): Promise<void> {
    for (;;) {
      const waits = keys === undefined ? [...this.inFlight] : [...keys].flatMap((k) => this.busy.get(k) ?? []);
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  /** Stops scheduling; the slot in flight finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ready.clear();
    this.heap.clear();
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private kick(): void {
    if (this.kickPending || this.inFlight.size >= MAX_SLOTS_IN_FLIGHT || this.stopped) return;
    this.kickPending = true;
    this.clock.yield(() => {
      this.kickPending = false;
      this.startSlot();
    });
  }

  private startSlot(): void {
    if (this.inFlight.size >= MAX_SLOTS_IN_FLIGHT || this.stopped || this.ready.size === 0) return;
    // Keys still in a slot in flight stay ready for a later one.
    const batch: K[] = [];
    for (const key of this.ready) if (!this.busy.has(key)) batch.push(key);
    if (batch.length === 0) return;
    for (const key of batch) this.ready.delete(key);
    this.slots++;
    const slot: Promise<void> = this.runSlot(batch)
      .catch((error: unknown) => this.onSlotError(error))
      .finally(() => {
        this.inFlight.delete(slot);
        for (const key of batch) if (this.busy.get(key) === slot) this.busy.delete(key);
        if (this.ready.size > 0) this.kick();
      });
    this.inFlight.add(slot);
    for (const key of batch) this.busy.set(key, slot);
  }

  /** Keeps exactly one timer, set for the earliest heap entry. */
  private arm(): void {
    const due = this.heap.peekDue();
    if (due === this.timerDue && this.timer !== undefined) return;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    if (due === undefined || this.stopped) return;
    this.timerDue = due;
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, due - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const first = this.heap.peekDue();
    if (first !== undefined) this.lag.record(now - first, now);
    for (const key of this.heap.popDue(now)) this.ready.add(key);
    this.arm();
    if (this.ready.size > 0) this.kick();
  }
}
