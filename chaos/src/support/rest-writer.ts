import type { BlackboardEntry } from '@canopy/contracts';
import type { GatewayApi } from '@canopy/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client writing one blackboard key over REST in a loop (value 1, 2, 3...): while a dependency
 * is away the gateway may refuse a write, but only with 503 and a Retry-After (docs/api.md: a
 * Redis error is DEPENDENCY_UNAVAILABLE), never with a 500; and a write it acknowledged stays.
 */
export class RestWriter {
  readonly statuses = new Map<string, number>();
  /** Broken promises, by kind, with how many writes each. */
  private readonly issues = new Map<string, number>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private next = 1;
  /** The last value a 2xx acknowledged. */
  acknowledged = 0;

  constructor(
    private readonly api: GatewayApi,
    readonly path: string,
    private readonly paceMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.write();
        await sleep(this.paceMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** What broke the contract, including a final value older than the last acknowledged write. */
  async problems(): Promise<string[]> {
    const res = await this.api.get<BlackboardEntry>(this.path);
    const value = res.status === 200 ? (res.body.value as number) : undefined;
    const lost =
      value === undefined || value < this.acknowledged
        ? [
            `${this.path}: holds ${value ?? '(nothing)'} after write ${this.acknowledged} was acknowledged`,
          ]
        : [];
    return [
      ...[...this.issues].map(([issue, n]) => `PUT ${this.path}: ${n} answered ${issue}`),
      ...lost,
    ];
  }

  private issue(what: string): void {
    this.issues.set(what, (this.issues.get(what) ?? 0) + 1);
  }

  private async write(): Promise<void> {
    const value = this.next++;
    let key: string;
    try {
      const res = await this.api.put<{ error?: { code: string } }>(this.path, { value });
      key = res.body?.error ? `${res.status} ${res.body.error.code}` : String(res.status);
      if (res.status >= 200 && res.status < 300) this.acknowledged = value;
      else if (res.status !== 503) this.issue(`${key} (neither 2xx nor 503)`);
      else if (res.headers.get('retry-after') === null) this.issue('503 without Retry-After');
    } catch (error) {
      key = 'no answer';
      this.issue(`nothing (${(error as Error).name})`);
    }
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }
}
