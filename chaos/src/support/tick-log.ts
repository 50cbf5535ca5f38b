import { Subjects, type TickRecordMessage } from '@canopy/contracts';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

/** One tick record as seen live on `canopy.ticks.<id>` (core subscription). */
export interface SeenTick {
  tick: number;
  runner: string;
  epoch: number;
  /** The runner's clock when the tick started (epoch ms). */
  startedAt: number;
  /** This process's clock when the record arrived. */
  arrivedAt: number;
}

/**
 * Every tick record published, as it arrives, for timing (who ticked what, when). A live core
 * subscription misses what is published while NATS is down, so it is never the source of an
 * invariant: those read the stream (`StreamTicks`) and the history store.
 */
export class TickLog {
  private readonly seen = new Map<string, SeenTick[]>();
  private waiters: Array<() => void> = [];
  private sub: Subscription | undefined;
  private scheduled: NodeJS.Timeout | undefined;

  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<TickLog> {
    // Reconnects forever: NATS restarts during the run.
    const nc: NatsConnection = await connect({
      servers: url,
      name: 'chaos-tick-log',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    const log = new TickLog(nc);
    log.sub = nc.subscribe(Subjects.ticksAll, {
      callback: (err, msg) => {
        if (err) return;
        const r = msg.json<TickRecordMessage>();
        log.add(r.execId, {
          tick: r.tick,
          runner: r.runner,
          epoch: r.epoch,
          startedAt: r.startedAt,
          arrivedAt: Date.now(),
        });
      },
    });
    await nc.flush();
    return log;
  }

  ticks(execId: string): SeenTick[] {
    return this.seen.get(execId) ?? [];
  }

  /** The runner of the newest tick seen (by tick number, among the last arrivals: replays are older ticks). */
  lastRunner(execId: string): string | undefined {
    const list = this.ticks(execId);
    let best: SeenTick | undefined;
    for (let i = list.length - 1; i >= Math.max(0, list.length - 20); i--) {
      if (!best || list[i].tick > best.tick) best = list[i];
    }
    return best?.runner;
  }

  /** The first tick (by start time) that started at or after `at` and passes `where`. */
  firstSince(
    execId: string,
    at: number,
    where: (t: SeenTick) => boolean = () => true,
  ): SeenTick | undefined {
    const list = this.ticks(execId);
    let best: SeenTick | undefined;
    // Arrival order: a record that started after `at` arrived after it, so older arrivals are skipped.
    for (let i = list.length - 1; i >= 0 && list[i].arrivedAt >= at; i--) {
      const t = list[i];
      if (t.startedAt >= at && where(t) && (!best || t.startedAt < best.startedAt)) best = t;
    }
    return best;
  }

  /**
   * Resolves once `check()` returns something other than undefined/false, re-checked after new
   * records (at most every 50 ms: hundreds arrive per second) and once a second; fails after
   * `timeoutMs`.
   */
  until<T>(what: string, check: () => T | undefined | false, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined || value === false) return false;
        finish();
        resolve(value);
        return true;
      };
      const waiter = () => void attempt();
      const tick = setInterval(waiter, 1000);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        clearInterval(tick);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!attempt()) this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.scheduled);
    this.sub?.unsubscribe();
    // close, not drain: NATS may be down at the end of a run, and a drain would wait for it.
    await this.nc.close().catch(() => undefined);
  }

  private add(execId: string, t: SeenTick): void {
    let list = this.seen.get(execId);
    if (!list) this.seen.set(execId, (list = []));
    list.push(t);
    if (this.waiters.length > 0 && !this.scheduled) {
      this.scheduled = setTimeout(() => {
        this.scheduled = undefined;
        for (const waiter of [...this.waiters]) waiter();
      }, 50);
    }
  }
}
