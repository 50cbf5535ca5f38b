import type { Clock } from './model/runtime';

/** A clock that only moves when told to: tests and `--tick-ms` runs. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  set(ms: number): void {
    this.t = ms;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}

export const systemClock: Clock = { now: () => Date.now() };
