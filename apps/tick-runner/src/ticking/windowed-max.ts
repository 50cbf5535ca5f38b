/**
 * The largest value recorded over the last `buckets * bucketMs` ms (a ring of per-bucket maxima).
 * Reading changes nothing, so any number of scrapers see the same maximum; an old spike ages out
 * on its own instead of waiting for a reader to reset it.
 */
export class WindowedMax {
  private readonly maxima: number[];
  /** The bucket number (time / bucketMs) each slot of the ring holds. */
  private readonly epochs: number[];

  constructor(
    private readonly bucketMs = 1000,
    buckets = 10,
  ) {
    this.maxima = new Array<number>(buckets).fill(0);
    this.epochs = new Array<number>(buckets).fill(-1);
  }

  record(value: number, now: number): void {
    const epoch = Math.floor(now / this.bucketMs);
    const i = epoch % this.maxima.length;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.maxima[i] = value;
    } else if (value > this.maxima[i]) {
      this.maxima[i] = value;
    }
  }

  /** The maximum over the window ending at `now`; 0 when nothing was recorded in it. */
  max(now: number): number {
    const newest = Math.floor(now / this.bucketMs);
    const oldest = newest - this.maxima.length + 1;
    let max = 0;
    for (let i = 0; i < this.maxima.length; i++) {
      const epoch = this.epochs[i];
      if (epoch >= oldest && epoch <= newest && this.maxima[i] > max) max = this.maxima[i];
    }
    return max;
  }
}
