/**
 * Runs work one at a time per key, in call order; different keys run concurrently. History
 * serializes everything that writes one execution's history (ingest, retention, delete) so the
 * latest-state cache and the stored keyframes cannot interleave.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
