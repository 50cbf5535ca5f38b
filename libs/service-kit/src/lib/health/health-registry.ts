export type HealthCheck = () => Promise<unknown>;

export interface CheckResult {
  status: 'ok' | 'error';
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ok' | 'error';
  checks: Record<string, CheckResult>;
}

/**
 * The dependencies /readyz checks. ServiceKitModule registers NATS and Redis; a service adds its
 * own (e.g. "holds its shard leases") with `register()` in `onModuleInit`.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(private readonly timeoutMs: number) {}

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check in parallel, each raced against the timeout so a hung one reads as down. */
  async run(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await this.runOne(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ok = entries.every(([, result]) => result.status === 'ok');
    return { status: ok ? 'ok' : 'error', checks };
  }

  private async runOne(check: HealthCheck): Promise<CheckResult> {
    const started = performance.now();
    const latencyMs = (): number => Math.round((performance.now() - started) * 10) / 10;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([check(), timeout]);
      return { status: 'ok', latencyMs: latencyMs() };
    } catch (error) {
      return {
        status: 'error',
        latencyMs: latencyMs(),
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
