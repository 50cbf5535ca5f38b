/**
 * Cancels that arrived before their invocation did. The request and its cancel travel on
 * different subjects, so a cancel sent right after a request can overtake it; remembering it
 * for a short while lets the invocation start already aborted instead of running for nothing.
 */
export class RecentCancels {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly max = 10_000,
  ) {}

  remember(invocationId: string, now = Date.now()): void {
    this.prune(now);
    if (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(invocationId, now + this.ttlMs);
  }

  /** True once per remembered id; forgets it. */
  take(invocationId: string, now = Date.now()): boolean {
    const expires = this.seen.get(invocationId);
    this.seen.delete(invocationId);
    return expires !== undefined && expires > now;
  }

  private prune(now: number): void {
    // Insertion order is expiry order (same TTL), so stop at the first live entry.
    for (const [id, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(id);
    }
  }
}
