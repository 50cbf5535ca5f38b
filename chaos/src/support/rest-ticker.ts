import type { GatewayApi } from '@canopy/testing';

export interface RestAnswer {
  execId: string;
  /** HTTP status, or 0 when no answer came (network error, or aborted by the client's timeout). */
  status: number;
  code?: string;
  retryAfter?: string;
  ms: number;
  /** This answer is the retry after honouring a 503's Retry-After. */
  retry: boolean;
  at: number;
}

export interface RestTickerOptions {
  /** An answer slower than this is a hang: the gateway promises an answer within its retry budget. */
  hangMs: number;
  /** Pause between one execution's requests (load shaping: about 1000/paceMs requests/s per execution). */
  paceMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client ticking manual executions over REST in a loop (the api's timeout ends a request that
 * gets no answer at all: status 0), as a well-behaved user would: every
 * answer must be 2xx, or 503 with a Retry-After that it honours, after which the same request
 * succeeds. It records every answer; `problems()` lists what broke that contract.
 */
export class RestTicker {
  readonly answers: RestAnswer[] = [];
  private readonly issues: string[] = [];
  private readonly lastTick = new Map<string, number>();
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly api: GatewayApi,
    private readonly ids: string[],
    private readonly opts: RestTickerOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loops = this.ids.map((id) => this.loop(id));
  }

  /** Stops after each loop's request in flight (and its retry, if it got a 503) is answered. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Answers by status (`0` = none). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.answers) {
      const key = a.retry ? `${a.status} (retry)` : String(a.status);
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  problems(): string[] {
    return [...this.issues];
  }

  private async loop(id: string): Promise<void> {
    while (this.running) {
      const answer = await this.send(id, false);
      if (answer.status === 503 && answer.retryAfter !== undefined) {
        const seconds = Number(answer.retryAfter);
        if (!Number.isFinite(seconds) || seconds < 0) {
          this.issues.push(
            `${id}: 503 with a Retry-After that is not a number of seconds: ${answer.retryAfter}`,
          );
          continue;
        }
        await sleep(seconds * 1000);
        const retry = await this.send(id, true);
        if (retry.status < 200 || retry.status >= 300) {
          this.issues.push(
            `${id}: the retry ${seconds} s after a 503 answered ${retry.status} ${retry.code ?? ''}`.trim(),
          );
        }
      }
      await sleep(this.opts.paceMs);
    }
  }

  private async send(id: string, retry: boolean): Promise<RestAnswer> {
    const at = Date.now();
    let answer: RestAnswer;
    try {
      const res = await this.api.request<{ tick?: number; error?: { code: string } }>(
        'POST',
        `/executions/${id}/tick`,
        { count: 1 },
      );
      answer = {
        execId: id,
        status: res.status,
        ...(res.body?.error ? { code: res.body.error.code } : {}),
        ...(res.headers.get('retry-after') !== null
          ? { retryAfter: res.headers.get('retry-after') as string }
          : {}),
        ms: Date.now() - at,
        retry,
        at,
      };
      if (res.status >= 200 && res.status < 300) this.checkTick(id, res.body?.tick);
    } catch (error) {
      answer = {
        execId: id,
        status: 0,
        code: (error as Error).name,
        ms: Date.now() - at,
        retry,
        at,
      };
    }
    this.answers.push(answer);
    this.judge(answer);
    return answer;
  }

  private judge(a: RestAnswer): void {
    const what = `${a.execId}: ${a.retry ? 'retry ' : ''}answer ${a.status}${a.code ? ` ${a.code}` : ''} after ${a.ms} ms`;
    if (a.ms > this.opts.hangMs)
      this.issues.push(`${what}: hung past the gateway's budget (${this.opts.hangMs} ms)`);
    if (a.status === 0) this.issues.push(`${what}: no answer`);
    else if (a.status === 503 && a.retryAfter === undefined)
      this.issues.push(`${what}: 503 without Retry-After`);
    else if (a.status !== 503 && (a.status < 200 || a.status >= 300))
      this.issues.push(`${what}: neither 2xx nor 503`);
  }

  private checkTick(id: string, tick: number | undefined): void {
    const before = this.lastTick.get(id) ?? 0;
    if (typeof tick !== 'number' || tick <= before)
      this.issues.push(`${id}: a 2xx answered tick ${tick} after tick ${before}`);
    else this.lastTick.set(id, tick);
  }
}
