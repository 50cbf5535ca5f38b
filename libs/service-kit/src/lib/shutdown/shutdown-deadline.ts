/** The kit's share of the timeout for closing NATS, Redis and telemetry, at most. */
const KIT_RESERVE_MS = 3000;

/**
 * The time a stopping service has, counted from SIGTERM/SIGINT (or from the kit's own shutdown
 * hook when the app is closed without a signal). Work in progress is listed by name while it runs
 * (every provider's lifecycle hooks are, see `watchLifecycleHooks`), so a stop that overruns says
 * what it was waiting for. Injectable in every service:
 *
 * ```ts
 * constructor(private readonly deadline: ShutdownDeadline) {}
 * async beforeApplicationShutdown() {
 *   await handOver({ timeoutMs: this.deadline.appTimeLeftMs() });
 * }
 * ```
 */
export class ShutdownDeadline {
  private startedAt: number | undefined;
  private readonly running = new Map<number, string>();
  private nextId = 0;

  constructor(readonly timeoutMs: number) {}

  /** Starts the clock; later calls keep the first start. */
  start(): void {
    this.startedAt ??= Date.now();
  }

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  /** Milliseconds until the process is ended (the whole timeout while no stop has begun). */
  remainingMs(): number {
    if (this.startedAt === undefined) return this.timeoutMs;
    return Math.max(0, this.startedAt + this.timeoutMs - Date.now());
  }

  /**
   * What a service's own stopping work (a runner's handover, a consumer's last batch) may still
   * take: the remaining time less what the kit keeps for closing its connections afterwards.
   */
  appTimeLeftMs(): number {
    return Math.max(0, this.remainingMs() - this.reserveMs);
  }

  get reserveMs(): number {
    return Math.min(KIT_RESERVE_MS, Math.floor(this.timeoutMs / 4));
  }

  /** Lists `name` as pending until the returned function is called. */
  begin(name: string): () => void {
    const id = this.nextId++;
    this.running.set(id, name);
    return () => this.running.delete(id);
  }

  /** Runs `work`, listed as pending under `name` until it settles. */
  async track<T>(name: string, work: () => T | Promise<T>): Promise<T> {
    const done = this.begin(name);
    try {
      return await work();
    } finally {
      done();
    }
  }

  /** What is running right now, oldest first. */
  pending(): string[] {
    return [...this.running.values()];
  }
}

/**
 * Waits for `work` at most `ms`: true when it settled in time (a rejection counts as settled; the
 * caller handles it on `work` itself), false when the time ran out. The timer never holds the
 * process open.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
