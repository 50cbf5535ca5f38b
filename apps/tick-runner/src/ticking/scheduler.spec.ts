import { Scheduler, type SchedulerClock } from './scheduler';

/** A clock whose timers and yields run only when the test says so. */
class FakeClock implements SchedulerClock {
  t = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  yields: (() => void)[] = [];
  private nextId = 1;
  armed = 0;

  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.armed++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  yield(fn: () => void): void {
    this.yields.push(fn);
  }
  /** Runs pending yields (and the slots they start) until nothing is left. */
  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      const batch = this.yields.splice(0);
      if (batch.length === 0 && i > 2) return;
      batch.forEach((fn) => fn());
    }
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at <= this.t) {
        this.timers.delete(id);
        timer.fn();
      }
    }
    await this.settle();
  }
}

describe(Scheduler.name, () => {
  let clock: FakeClock;
  let slots: string[][];
  let sut: Scheduler<string>;

  beforeEach(() => {
    clock = new FakeClock();
    slots = [];
    sut = new Scheduler(async (batch) => {
      slots.push(batch);
    }, clock);
  });

  it('batches everything enqueued before the slot runs, each key once', async () => {
    sut.enqueue('a');
    sut.enqueue('b');
    sut.enqueue('a');
    await clock.settle();
    expect(slots).toEqual([['a', 'b']]);
  });

  it('runs timer entries due together in one slot, in due order, with a single armed timer', async () => {
    sut.at('late', 300);
    sut.at('early', 100);
    sut.at('mid', 200);
    sut.at('mid2', 200);
    expect(clock.timers.size).toBe(1);
    await clock.advance(150);
    expect(slots).toEqual([['early']]);
    await clock.advance(100);
    expect(slots).toEqual([['early'], ['mid', 'mid2']]);
    await clock.advance(100);
    expect(slots.at(-1)).toEqual(['late']);
    expect(clock.timers.size).toBe(0);
  });

  /** A scheduler whose slots end only when the test releases them, oldest first. */
  const gatedScheduler = (log: string[] = []) => {
    const running: string[][] = [];
    const releases: (() => void)[] = [];
    const scheduler = new Scheduler<string>(
      (batch) =>
        new Promise<void>((resolve) => {
          log.push(`slot ${batch.join(',')}`);
          running.push(batch);
          releases.push(resolve);
        }),
      clock,
    );
    const releaseOldest = async () => {
      releases.shift()?.();
      await clock.settle();
    };
    return { scheduler, running, releaseOldest };
  };

  it('ticks what came due while a slot is in flight in a second slot, never a key in two slots at once', async () => {
    const { scheduler, running, releaseOldest } = gatedScheduler();
    scheduler.enqueue('a');
    await clock.settle();
    // 'a' is in flight: it waits for its slot; 'b' goes on in a slot of its own.
    scheduler.enqueue('a');
    scheduler.enqueue('b');
    await clock.settle();
    expect(running).toEqual([['a'], ['b']]);
    // Two slots in flight: 'c' waits for one of them to end, and 'a' for its own.
    scheduler.enqueue('c');
    await clock.settle();
    expect(running).toEqual([['a'], ['b']]);
    await releaseOldest();
    expect(running).toEqual([['a'], ['b'], ['a', 'c']]);
    await releaseOldest();
    await releaseOldest();
    await scheduler.idle();
    expect(running).toHaveLength(3);
  });

  it('idle(keys) resolves once those keys are out of the slots in flight, before a next slot starts', async () => {
    const log: string[] = [];
    const { scheduler, releaseOldest } = gatedScheduler(log);
    scheduler.enqueue('a');
    await clock.settle();
    scheduler.enqueue('b');
    await clock.settle();
    void scheduler.idle(['a']).then(() => log.push('a idle'));
    void scheduler.idle(['b']).then(() => log.push('b idle'));
    // 'a' is ready again: when its slot ends, the waiter hears it before 'a' is in a slot again.
    scheduler.enqueue('a');
    await clock.settle();
    expect(log).toEqual(['slot a', 'slot b']);
    await releaseOldest();
    expect(log).toEqual(['slot a', 'slot b', 'a idle', 'slot a']);
    await releaseOldest();
    expect(log).toEqual(['slot a', 'slot b', 'a idle', 'slot a', 'b idle']);
    await releaseOldest();
    await scheduler.idle();
  });

  it('cancel forgets both queued and timed work', async () => {
    sut.enqueue('a');
    sut.at('b', 10);
    sut.cancel('a');
    sut.cancel('b');
    expect(sut.dueOf('b')).toBeUndefined();
    await clock.advance(20);
    expect(slots).toEqual([]);
  });

  it('a failing slot does not stop the scheduler', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const flaky = new Scheduler<string>(
      async (batch) => {
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
        slots.push(batch);
      },
      clock,
      (e) => errors.push(e),
    );
    flaky.enqueue('a');
    await clock.settle();
    flaky.enqueue('b');
    await clock.settle();
    expect(errors).toHaveLength(1);
    expect(slots).toEqual([['b']]);
  });
});
