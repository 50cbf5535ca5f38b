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
 * Slots run one at a time. Everything that becomes ready while a slot is in flight waits for the
 * next one, so a key is never ticked re-entrantly and one slot's I/O (a Redis pipeline, publishes)
 * covers every key due together. Between slots the loop yields to the event loop (setImmediate), so
 * NATS commands and other callbacks are served even while auto executions spin.
 */
export class Scheduler<K> {
  private readonly heap = new TimerHeap<K>();
  private ready = new Set<K>();
  private timer: unknown;
  private timerDue = Number.POSITIVE_INFINITY;
  private slotInFlight: Promise<void> | undefined;
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

  /** Resolves once no slot is in flight (the current one, if any, has finished). */
  async idle(): Promise<void> {
    while (this.slotInFlight) await this.slotInFlight;
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
    if (this.kickPending || this.slotInFlight || this.stopped) return;
    this.kickPending = true;
    this.clock.yield(() => {
      this.kickPending = false;
      this.startSlot();
    });
  }

  private startSlot(): void {
    if (this.slotInFlight || this.stopped || this.ready.size === 0) return;
    const batch = [...this.ready];
    this.ready = new Set();
    this.slots++;
    this.slotInFlight = this.runSlot(batch)
      .catch((error: unknown) => this.onSlotError(error))
      .finally(() => {
        this.slotInFlight = undefined;
        if (this.ready.size > 0) this.kick();
      });
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
