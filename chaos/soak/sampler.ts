import { readdirSync, readFileSync } from 'node:fs';
import { Consumers, Streams } from '@canopy/contracts';
import {
  histogramDelta,
  histogramQuantile,
  type MetricSamples,
  parseMetrics,
  type Stack,
} from '@canopy/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Sample } from './verdict';

/** Resident memory (MB) and open file descriptors of a process, from /proc (Linux). */
export function procStats(pid: number): { rssMb?: number; fds?: number } {
  const out: { rssMb?: number; fds?: number } = {};
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) out.rssMb = Number(kb) / 1024;
    out.fds = readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    // The process is gone (a fault), or /proc is not readable: no sample.
  }
  return out;
}

/**
 * Every `sample()` reads each process of the stack (services, nats-server, redis-server): memory and
 * fds from /proc, the runners' tick lag and rate from GET /metrics (over the window since the
 * previous scrape of the same process), and history's consumer backlog from JetStream.
 */
export class Sampler {
  private readonly scrapes = new Map<
    string,
    { pid?: number; at: number; samples: MetricSamples }
  >();

  constructor(
    private readonly stack: Stack,
    private readonly nc: NatsConnection,
    private readonly startedAt: number,
  ) {}

  async sample(fault?: string): Promise<Sample[]> {
    const t = Math.round((Date.now() - this.startedAt) / 1000);
    const out: Sample[] = [];
    const brokers = [
      { name: 'nats-server', pid: this.stack.infra.nats.pid },
      { name: 'redis-server', pid: this.stack.infra.redis.pid },
    ];
    for (const { name, pid } of [
      ...this.stack.all().map((s) => ({ name: s.name, pid: s.running ? s.pid : undefined })),
      ...brokers,
    ]) {
      out.push({
        t,
        process: name,
        ...(pid ? { pid, ...procStats(pid) } : {}),
        ...(fault ? { fault } : {}),
      });
    }
    await Promise.all(
      this.stack.runners.map((r) => {
        const into = out.find((s) => s.process === r.name) as Sample;
        return this.runnerMetrics(r.url, r.name, r.running ? r.pid : undefined, into);
      }),
    );
    const history = out.find((s) => s.process === 'history');
    if (history) history.backlog = await this.backlog();
    return out;
  }

  private async runnerMetrics(
    url: string,
    name: string,
    pid: number | undefined,
    into: Sample,
  ): Promise<void> {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
      const now = { pid, at: Date.now(), samples: parseMetrics(await res.text()) };
      const before = this.scrapes.get(name);
      this.scrapes.set(name, now);
      // A restarted runner's counters start again from zero: its window starts at its start.
      const base = before && before.pid === pid ? before.samples : new Map<string, number>();
      const seconds = before && before.pid === pid ? (now.at - before.at) / 1000 : undefined;
      const lag = histogramDelta(base, now.samples, 'canopy_runner_tick_lag_ms');
      into.lagP50Ms = histogramQuantile(lag, 0.5);
      into.lagP99Ms = histogramQuantile(lag, 0.99);
      const ticks =
        (now.samples.get('canopy_runner_ticks_total') ?? 0) -
        (base.get('canopy_runner_ticks_total') ?? 0);
      if (seconds) into.ticksPerSec = ticks / seconds;
    } catch {
      // Not answering right now (killed, restarting): no metrics in this sample.
    }
  }

  private async backlog(): Promise<number | undefined> {
    try {
      const jsm = await jetstreamManager(this.nc, { timeout: 3000 });
      const info = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
      return info.num_pending + info.num_ack_pending;
    } catch {
      return undefined;
    }
  }
}

export const CSV_COLUMNS: Array<keyof Sample> = [
  't',
  'process',
  'pid',
  'rssMb',
  'fds',
  'lagP50Ms',
  'lagP99Ms',
  'ticksPerSec',
  'backlog',
  'fault',
];

export function csvRow(s: Sample): string {
  return CSV_COLUMNS.map((c) => {
    const v = s[c];
    if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
    return typeof v === 'number' ? String(Math.round(v * 100) / 100) : String(v);
  }).join(',');
}
