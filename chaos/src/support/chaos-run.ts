import { cpus, loadavg } from 'node:os';
import { DEFAULT_SHARD_COUNT, type BlackboardEntry, type Execution } from '@canopy/contracts';
import {
  GatewayApi,
  pollUntil,
  type ServiceProcess,
  type Stack,
  startStack,
  waitForShards,
} from '@canopy/testing';
import { Redis } from 'ioredis';
import { type Counters, counterProblems, formatTicks, tickProblems } from './invariants';
import type { PhaseReport, RunReport } from './report';
import { committed, historyCountIn, historyMeta, historyTicksIn } from './stores';
import { StreamTicks } from './stream-ticks';
import { TickLog } from './tick-log';
import { counterTree, FIXED_GLOBALS, treeNameOf } from './trees';

/** The load and the knobs of a run; defaults are what this 2-core machine sustains while faults run. */
export interface ChaosConfig {
  /** Interval executions (the steady load). */
  executions: number;
  intervalMs: number;
  /** Manual executions per runner, ticked over REST in the handover phase. */
  manualPerRunner: number;
  /** Executions contending for the semaphore (one team, spread over the runners). */
  semaphoreExecutions: number;
  semaphoreIntervalMs: number;
  runners: number;
  /** How long a broker stays down in a restart (stop, then start after this). */
  outageMs: number;
  /** The gateway's OWNER_RETRY_BUDGET_MS: a REST answer slower than it (plus `hangMarginMs`) is a hang. */
  ownerRetryBudgetMs: number;
  /** Slack over the budget for a loaded machine; far below the 5 s request timeout a hang waits for. */
  hangMarginMs: number;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ChaosConfig {
  const int = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    executions: int('CHAOS_EXECUTIONS', 45),
    intervalMs: int('CHAOS_INTERVAL_MS', 100),
    manualPerRunner: 2,
    semaphoreExecutions: int('CHAOS_SEMAPHORE_EXECUTIONS', 6),
    semaphoreIntervalMs: 50,
    runners: 3,
    outageMs: int('CHAOS_OUTAGE_MS', 2000),
    ownerRetryBudgetMs: 2000,
    hangMarginMs: 2000,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One stack of real processes under load, and what the run needs to fault it and to check it:
 * the gateway API, a Redis client (the committed truth), the live tick log (timings), the stream
 * reader and the history store (invariants).
 */
export class ChaosRun {
  readonly intervalIds: string[] = [];
  readonly manualIds: string[] = [];
  readonly semaphoreIds: string[] = [];
  /** Deleted on purpose: no longer checked. */
  readonly deleted = new Set<string>();
  readonly report: RunReport;
  private readonly checkedUpTo = new Map<string, number>();
  private readonly lastCounters = new Map<string, Counters>();
  private readonly fixedVersions = new Map<string, number>();
  /** Stream duplicates already reported (`<execId>:<tick>`), so each is reported once. */
  private readonly reported = new Set<string>();
  /** Per execution, history records stored beyond the ticks held, at the last checkpoint. */
  private readonly historyExtra = new Map<string, number>();

  private constructor(
    readonly config: ChaosConfig,
    readonly stack: Stack,
    readonly api: GatewayApi,
    readonly redis: Redis,
    readonly ticks: TickLog,
    readonly stream: StreamTicks,
  ) {
    this.report = {
      startedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() },
      load: {
        intervalExecutions: config.executions,
        intervalMs: config.intervalMs,
        runners: config.runners,
        manualExecutions: config.manualPerRunner * config.runners,
        semaphoreExecutions: config.semaphoreExecutions,
        semaphoreIntervalMs: config.semaphoreIntervalMs,
        outageMs: config.outageMs,
      },
      phases: [],
    };
  }

  /** The stack (Redis with AOF, history keeping every tick), then the trees, fixed globals and the load. */
  static async start(config: ChaosConfig): Promise<ChaosRun> {
    const stack = await startStack({
      label: 'chaos',
      runners: config.runners,
      infra: { redis: { appendonly: true } },
      env: {
        // Retention must not drop the ticks the invariants count.
        history: { HISTORY_RETAIN_TICKS: '10000000' },
        gateway: { OWNER_RETRY_BUDGET_MS: String(config.ownerRetryBudgetMs) },
      },
    });
    try {
      await waitForShards(stack.runners, DEFAULT_SHARD_COUNT, 60_000);
      const redis = new Redis(stack.infra.redis.url, { maxRetriesPerRequest: 3 });
      const ticks = await TickLog.connect(stack.infra.nats.url);
      const run = new ChaosRun(
        config,
        stack,
        new GatewayApi(stack.gateway.url),
        redis,
        ticks,
        new StreamTicks(ticks.nc),
      );
      await run.startLoad();
      return run;
    } catch (error) {
      await stack.dispose();
      throw error;
    }
  }

  get runners(): ServiceProcess[] {
    return this.stack.runners;
  }

  runnerIdOf(runner: ServiceProcess): string {
    return runner.spec.env.RUNNER_ID;
  }

  /** Every execution still checked (created, not deleted). */
  live(): string[] {
    return [...this.intervalIds, ...this.manualIds, ...this.semaphoreIds].filter(
      (id) => !this.deleted.has(id),
    );
  }

  phase(name: string, title: string): PhaseReport {
    const report: PhaseReport = {
      phase: name,
      title,
      timings: {},
      counts: {},
      problems: [],
      notes: [],
    };
    this.report.phases.push(report);
    return report;
  }

  /** Registers one tree per execution (its own global key) and creates it. */
  async create(id: string, tree: string, body: Record<string, unknown>): Promise<Execution> {
    await this.api.registerTree(tree);
    return this.api.createExecution({ tree: treeNameOf(id), id, ...body });
  }

  private async startLoad(): Promise<void> {
    for (const [key, value] of Object.entries(FIXED_GLOBALS)) {
      const entry = await this.api.ok(
        this.api.put<BlackboardEntry>(`/blackboard/global/keys/${key}`, { value }),
      );
      this.fixedVersions.set(key, entry.version);
    }
    // Manual executions, until every runner owns `manualPerRunner` (ids hash onto shards).
    const perRunner = new Map<string, string[]>();
    for (
      let i = 0;
      i < 60 && this.manualIds.length < this.config.manualPerRunner * this.config.runners;
      i++
    ) {
      const id = `m${i}`;
      const created = await this.create(id, counterTree(id), {});
      const owner = created.owner ?? (await this.api.execution(id)).owner ?? '';
      const mine = perRunner.get(owner) ?? [];
      if (mine.length < this.config.manualPerRunner) {
        perRunner.set(owner, [...mine, id]);
        this.manualIds.push(id);
      } else {
        await this.api.ok(this.api.delete(`/executions/${id}`));
      }
    }
    for (let i = 0; i < this.config.executions; i++) {
      const id = `i${String(i).padStart(2, '0')}`;
      await this.create(id, counterTree(id), {
        mode: 'interval',
        intervalMs: this.config.intervalMs,
      });
      this.intervalIds.push(id);
    }
    await this.ticks.until(
      'every interval execution ticking',
      () => this.intervalIds.every((id) => this.ticks.ticks(id).length >= 10),
      60_000,
    );
  }

  /**
   * For each execution, how long after `since` its first tick started that passes `where` (e.g. on
   * another runner); undefined for those that had none by the deadline.
   */
  async firstTicks(
    ids: string[],
    since: number,
    timeoutMs: number,
    where: (runner: string) => boolean = () => true,
  ): Promise<Map<string, number | undefined>> {
    const first = () =>
      new Map(
        ids.map((id) => [id, this.ticks.firstSince(id, since, (t) => where(t.runner))?.startedAt]),
      );
    await this.ticks
      .until(
        `${ids.length} executions to tick`,
        () => [...first().values()].every((t) => t !== undefined),
        timeoutMs,
      )
      .catch(() => undefined);
    return new Map([...first()].map(([id, at]) => [id, at === undefined ? undefined : at - since]));
  }

  /** Kills or stops and restarts a runner, and waits until the shards are spread over all runners again. */
  async bringBack(runner: ServiceProcess): Promise<number> {
    const at = Date.now();
    runner.start();
    await runner.waitReady(90_000);
    await waitForShards(this.runners, DEFAULT_SHARD_COUNT, 60_000);
    return Date.now() - at;
  }

  /** For each execution, the ticks committed since the last checkpoint up to `targets`: `(from, to]`. */
  rangesTo(targets: Map<string, number>): Map<string, [number, number]> {
    return new Map([...targets].map(([id, to]) => [id, [this.checkedUpTo.get(id) ?? 0, to]]));
  }

  /** Waits until the stream holds every tick of the ranges; the ms it took, undefined at the deadline. */
  async waitStream(
    ranges: Map<string, [number, number]>,
    timeoutMs: number,
  ): Promise<number | undefined> {
    const started = Date.now();
    const done = async () => {
      await this.stream.sync();
      return [...ranges].every(([id, [from, to]]) => this.stream.holdsRange(id, from, to));
    };
    return pollUntil('the stream to hold the committed ticks', done, {
      timeoutMs,
      intervalMs: 250,
    }).then(
      () => Date.now() - started,
      () => undefined,
    );
  }

  /**
   * Waits until history holds every tick of the ranges that the stream holds (what never reached
   * the stream cannot reach history); the ms it took, undefined at the deadline.
   */
  async waitHistory(
    ranges: Map<string, [number, number]>,
    timeoutMs: number,
  ): Promise<number | undefined> {
    const started = Date.now();
    const done = async () => {
      await this.stream.sync();
      const held = await historyCountIn(this.redis, ranges);
      return [...ranges].every(
        ([id, [from, to]]) => (held.get(id) ?? 0) >= this.stream.countIn(id, from, to),
      );
    };
    return pollUntil('history to hold the streamed ticks', done, {
      timeoutMs,
      intervalMs: 250,
    }).then(
      () => Date.now() - started,
      () => undefined,
    );
  }

  /**
   * The invariants so far, while the load runs. The committed tick of each execution (with its
   * counter and global key, read in one MULTI) is the target: the stream and history must hold
   * every tick committed since the previous checkpoint, each once, and nothing may have been
   * stored twice since (also of older ticks: a late republish).
   */
  async checkpoint(
    report: PhaseReport,
    streamTimeoutMs = 15_000,
    historyTimeoutMs = 60_000,
  ): Promise<void> {
    const ids = this.live();
    const snapshot = await committed(this.redis, ids);
    for (const id of ids) {
      const now = snapshot.get(id) as Counters;
      report.problems.push(...counterProblems(id, now, this.lastCounters.get(id)));
      this.lastCounters.set(id, now);
    }
    const ranges = this.rangesTo(new Map(ids.map((id) => [id, snapshot.get(id)?.tick ?? 0])));
    report.timings['checkpoint: stream complete after'] = await this.waitStream(
      ranges,
      streamTimeoutMs,
    );
    report.timings['checkpoint: history complete after'] = await this.waitHistory(
      ranges,
      historyTimeoutMs,
    );

    const meta = await historyMeta(this.redis, ids);
    for (const [id, [from, to]] of ranges) {
      report.problems.push(
        ...tickProblems('stream', id, this.stream.ticksOf(id), from, to).filter(
          (p) => !p.includes('more than once'),
        ),
      );
      const doubled = this.stream.duplicates(id).filter((t) => !this.reported.has(`${id}:${t}`));
      if (doubled.length > 0)
        report.problems.push(
          `${id}: stream holds ${doubled.length} ticks more than once: ${formatTicks(doubled)}`,
        );
      doubled.forEach((t) => this.reported.add(`${id}:${t}`));

      report.problems.push(
        ...tickProblems('history', id, await historyTicksIn(this.redis, id, from, to), from, to),
      );
      const m = meta.get(id);
      const extra = m ? m.total - m.held : 0;
      if (extra > (this.historyExtra.get(id) ?? 0))
        report.problems.push(`${id}: history stored ${m?.total} records for ${m?.held} ticks`);
      this.historyExtra.set(id, extra);
    }
    if (this.stream.unidentified > 0)
      report.problems.push(
        `stream: ${this.stream.unidentified} records without a <execId>:[<createdAt ms>:]<tick> Nats-Msg-Id`,
      );
    report.problems.push(...(await this.fixedGlobalProblems()));
    for (const [id, [, to]] of ranges) this.checkedUpTo.set(id, to);
  }

  /** Each execution's committed tick, from Redis. */
  async committedTicks(ids: string[]): Promise<Map<string, number>> {
    return new Map([...(await committed(this.redis, ids))].map(([id, c]) => [id, c.tick]));
  }

  /** The global keys written before the load must be unchanged, value and version. */
  async fixedGlobalProblems(): Promise<string[]> {
    const problems: string[] = [];
    for (const [key, value] of Object.entries(FIXED_GLOBALS)) {
      const res = await this.api.get<BlackboardEntry>(`/blackboard/global/keys/${key}`);
      if (res.status !== 200) problems.push(`global ${key}: GET answered ${res.status}`);
      else if (
        JSON.stringify(res.body.value) !== JSON.stringify(value) ||
        res.body.version !== this.fixedVersions.get(key)
      ) {
        problems.push(
          `global ${key}: now ${JSON.stringify(res.body.value)} v${res.body.version}, was ${JSON.stringify(value)} v${this.fixedVersions.get(key)}`,
        );
      }
    }
    return problems;
  }

  /** Holds a broker down for the outage, then starts it on the same port with the same data. */
  async outage(broker: {
    stop(): Promise<void>;
    restart(): Promise<void>;
  }): Promise<{ downAt: number; backAt: number }> {
    const downAt = Date.now();
    await broker.stop();
    await sleep(this.config.outageMs);
    await broker.restart();
    return { downAt, backAt: Date.now() };
  }

  async dispose(): Promise<void> {
    this.report.finishedAt = new Date().toISOString();
    await this.ticks.close();
    this.redis.disconnect();
    await this.stack.dispose();
  }
}
