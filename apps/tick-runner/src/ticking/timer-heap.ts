/**
 * A binary min-heap of (due time, key) entries. The scheduler keeps one per runner and arms a single
 * setTimeout for the earliest entry, instead of one timer per execution: thousands of interval
 * executions then cost one timer and O(log n) per reschedule.
 *
 * Each key has at most one entry: pushing a key again moves it. Ties on due time pop in insertion
 * order, so executions due together tick in the order they were scheduled.
 */
interface Entry<K> {
  due: number;
  seq: number;
  key: K;
}

export class TimerHeap<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly index = new Map<K, number>();
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.heap[0]?.due;
  }

  dueOf(key: K): number | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.heap[i].due;
  }

  /** Schedules `key` at `due`, replacing any earlier entry of the same key. */
  push(key: K, due: number): void {
    this.remove(key);
    const entry: Entry<K> = { due, seq: this.seq++, key };
    this.heap.push(entry);
    this.index.set(key, this.heap.length - 1);
    this.up(this.heap.length - 1);
  }

  remove(key: K): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.index.delete(key);
    const last = this.heap.pop() as Entry<K>;
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.index.set(last.key, i);
      this.down(i);
      this.up(i);
    }
    return true;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  popDue(now: number): K[] {
    const due: K[] = [];
    while (this.heap.length > 0 && this.heap[0].due <= now) {
      const top = this.heap[0];
      this.remove(top.key);
      due.push(top.key);
    }
    return due;
  }

  clear(): void {
    this.heap.length = 0;
    this.index.clear();
  }

  private less(a: Entry<K>, b: Entry<K>): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    this.heap[i] = b;
    this.heap[j] = a;
    this.index.set(b.key, i);
    this.index.set(a.key, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i], this.heap[parent])) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < n && this.less(this.heap[l], this.heap[min])) min = l;
      if (r < n && this.less(this.heap[r], this.heap[min])) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }
}
