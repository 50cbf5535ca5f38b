import type { GatewayApi } from '@canopy/testing';

/** Counts every tick in the exec scope (every load execution shares it). */
export const SOAK_COUNTER = `(tree "soak-counter"
  (reactive-sequence
    (set "exec:soak-n" (+ (get "exec:soak-n" 0) 1))))
`;

/** Event executions read the team key the writer changes, so every change wakes them. */
export const SOAK_EVENT = `(tree "soak-event"
  (reactive-sequence
    (set "exec:soak-n" (+ (get "exec:soak-n" 0) 1))
    (log "signal" $team:soak-signal)))
`;

export interface SoakLoadOptions {
  intervalExecutions: number;
  intervalMs: number;
  eventExecutions: number;
  manualExecutions: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Mixed load through the gateway, as users would make it: interval, event and auto executions,
 * REST ticks, blackboard writes (which wake the event executions), and executions created and
 * deleted all along. Every loop survives the faults: a failed call is counted, not fatal.
 */
export class SoakLoad {
  /** Calls by kind and outcome (`tick 200`, `create 503 DEPENDENCY_UNAVAILABLE`, `signal error`...). */
  readonly calls = new Map<string, number>();
  private running = false;
  private loops: Promise<void>[] = [];
  private seq = 0;

  constructor(
    private readonly api: GatewayApi,
    private readonly opts: SoakLoadOptions,
  ) {}

  async start(): Promise<void> {
    for (const source of [SOAK_COUNTER, SOAK_EVENT]) await this.api.registerTree(source);
    for (let i = 0; i < this.opts.intervalExecutions; i++) {
      await this.api.createExecution({
        tree: 'soak-counter',
        id: `soak-i${i}`,
        mode: 'interval',
        intervalMs: this.opts.intervalMs,
      });
    }
    for (let i = 0; i < this.opts.eventExecutions; i++) {
      await this.api.createExecution({
        tree: 'soak-event',
        id: `soak-e${i}`,
        team: 'soak',
        mode: 'event',
        intervalMs: 1000,
      });
    }
    const manual = Array.from({ length: this.opts.manualExecutions }, (_, i) => `soak-m${i}`);
    for (const id of manual) await this.api.createExecution({ tree: 'soak-counter', id });

    this.running = true;
    this.loops = [
      this.every(200, () =>
        Promise.all(
          manual.map((id) => this.call('tick', 'POST', `/executions/${id}/tick`, { count: 1 })),
        ),
      ),
      this.every(250, () =>
        this.call('signal', 'PUT', '/blackboard/team:soak/keys/soak-signal', { value: this.seq++ }),
      ),
      this.every(1000, () =>
        this.call('global', 'PUT', `/blackboard/global/keys/soak-g${this.seq % 10}`, {
          value: { at: Date.now() },
        }),
      ),
      this.every(5000, () => this.churnManual()),
      this.every(10_000, () => this.churnAuto()),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async every(ms: number, body: () => Promise<unknown>): Promise<void> {
    while (this.running) {
      const started = Date.now();
      await body().catch(() => undefined);
      await sleep(Math.max(0, ms - (Date.now() - started)));
    }
  }

  /** A short-lived manual execution: created, ticked, deleted. */
  private async churnManual(): Promise<void> {
    const id = `soak-tmp${this.seq++}`;
    if ((await this.call('create', 'POST', '/executions', { tree: 'soak-counter', id })) !== 201)
      return;
    await this.call('tick', 'POST', `/executions/${id}/tick`, { count: 3 });
    await this.call('delete', 'DELETE', `/executions/${id}`);
  }

  /** An auto execution of 100 ticks; the previous one (completed by now) is deleted. */
  private autoId: string | undefined;
  private async churnAuto(): Promise<void> {
    if (this.autoId) await this.call('delete', 'DELETE', `/executions/${this.autoId}`);
    const id = `soak-auto${this.seq++}`;
    const status = await this.call('create', 'POST', '/executions', {
      tree: 'soak-counter',
      id,
      mode: 'auto',
      maxTicks: 100,
    });
    this.autoId = status === 201 ? id : undefined;
  }

  private async call(kind: string, method: string, path: string, body?: unknown): Promise<number> {
    let outcome: string;
    let status = 0;
    try {
      const res = await this.api.request<{ error?: { code?: string } }>(method, path, body);
      status = res.status;
      outcome = res.body?.error?.code ? `${status} ${res.body.error.code}` : String(status);
    } catch {
      outcome = 'error';
    }
    const key = `${kind} ${outcome}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    return status;
  }
}
