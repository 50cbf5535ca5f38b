import { type BlackboardEntry, type Execution, Streams } from '@canopy/contracts';
import { describeExit, GatewayApi, pollUntil, type ServiceProcess } from '@canopy/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ChaosRun } from './support/chaos-run';
import { auditTicks, counterProblems, formatTicks, tickProblems } from './support/invariants';
import type { PhaseReport } from './support/report';
import { spread } from './support/report';
import { RestTicker } from './support/rest-ticker';
import { RestWriter } from './support/rest-writer';
import { SemaphoreWatch } from './support/semaphore-watch';
import { historyMeta } from './support/stores';
import {
  COUNTER_KEY,
  FIXED_GLOBALS,
  globalKeyOf,
  SEM_KEY,
  SEM_MAX,
  SEM_TEAM,
  semaphoreTree,
} from './support/trees';

const FAILOVER_TIMEOUT_MS = 60_000;
const RECOVERY_TIMEOUT_MS = 60_000;
/** A tick whose publish failed and is not republished within this is reported lost. */
const STREAM_RECOVERY_TIMEOUT_MS = 30_000;
/** Longer than the history consumer's 30 s ack wait: records in flight at a kill come back after it. */
const HISTORY_RECOVERY_TIMEOUT_MS = 60_000;
/** SIGTERM grace before SIGKILL when the brokers are down. */
const SHUTDOWN_GRACE_MS = 15_000;

/** Spread of the defined values, and the executions that never got there. */
function timingsOf(
  report: PhaseReport,
  name: string,
  values: Map<string, number | undefined>,
  what: string,
): void {
  const done = [...values.values()].filter((v): v is number => v !== undefined);
  report.timings[name] = spread(done);
  const never = [...values].filter(([, v]) => v === undefined).map(([id]) => id);
  if (never.length > 0)
    report.problems.push(`${never.length} executions never ${what}: ${never.join(' ')}`);
}

const maxOf = (values: Map<string, number | undefined>) =>
  [...values.values()].some((v) => v === undefined)
    ? undefined
    : Math.max(0, ...(values.values() as Iterable<number>));

/** Executions whose newest tick was on `runnerId`. */
function ownedBy(run: ChaosRun, ids: string[], runnerId: string): string[] {
  return ids.filter((id) => run.ticks.lastRunner(id) === runnerId);
}

/** kill -9 of a runner under load: its executions move after the lease TTL; then it comes back. */
export async function killRunner(run: ChaosRun, report: PhaseReport): Promise<void> {
  const victim = run.runners[0];
  const victimId = run.runnerIdOf(victim);
  const affected = ownedBy(run, run.intervalIds, victimId);
  report.counts['executions on the killed runner'] = affected.length;
  if (affected.length === 0)
    report.problems.push(`${victimId} owned no interval execution: nothing to fail over`);

  const killAt = Date.now();
  await victim.kill();
  const failover = await run.firstTicks(
    affected,
    killAt,
    FAILOVER_TIMEOUT_MS,
    (r) => r !== victimId,
  );
  timingsOf(
    report,
    'failover: kill -> first tick on the new owner',
    failover,
    'ticked on another runner after the kill',
  );
  report.timings['failover: kill -> all moved'] = maxOf(failover);

  report.timings['rejoin: restart -> shards spread over 3 runners'] = await run.bringBack(victim);
  await run.checkpoint(report);
}

/**
 * Redis stopped (SIGTERM: the AOF is flushed) and started on the same dir and port, while a client
 * also writes a global key over REST.
 */
export async function restartRedis(run: ChaosRun, report: PhaseReport): Promise<void> {
  const writer = new RestWriter(run.api, '/blackboard/global/keys/chaos-writes', 100);
  writer.start();
  await pollUntil('a first acknowledged write', async () => writer.acknowledged > 0, {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
  const { downAt, backAt } = await run.outage(run.stack.infra.redis);
  report.timings['redis down (stop -> PONG again)'] = backAt - downAt;
  const acknowledged = writer.acknowledged;
  report.timings['recovery: redis back -> REST writes acknowledged'] = await pollUntil(
    'writes acknowledged again',
    async () => writer.acknowledged > acknowledged,
    { timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 50 },
  ).then(
    () => Date.now() - backAt,
    () => {
      report.problems.push('no REST blackboard write was acknowledged after Redis came back');
      return undefined;
    },
  );
  await writer.stop();
  report.counts['REST blackboard writes by status'] = Object.fromEntries(writer.statuses);
  report.problems.push(...(await writer.problems()));
  const resumed = await run.firstTicks(run.intervalIds, backAt, RECOVERY_TIMEOUT_MS);
  timingsOf(report, 'recovery: redis back -> first tick', resumed, 'ticked after Redis came back');
  report.timings['recovery: redis back -> all ticking'] = maxOf(resumed);
  await run.checkpoint(report);
}

/** nats-server stopped and started on the same JetStream store dir and port. */
export async function restartNats(run: ChaosRun, report: PhaseReport): Promise<void> {
  const { downAt, backAt } = await run.outage(run.stack.infra.nats);
  report.timings['nats down (stop -> JetStream healthy again)'] = backAt - downAt;
  const resumed = await run.firstTicks(run.intervalIds, backAt, RECOVERY_TIMEOUT_MS);
  timingsOf(report, 'recovery: nats back -> first tick', resumed, 'ticked after NATS came back');
  report.timings['recovery: nats back -> all ticking'] = maxOf(resumed);

  // Everything committed until NATS was back must reach the stream (the publish of a tick that
  // failed while NATS was away included).
  const ranges = run.rangesTo(await run.committedTicks(run.live()));
  const complete = await run.waitStream(ranges, STREAM_RECOVERY_TIMEOUT_MS);
  report.timings['recovery: nats back -> stream complete'] =
    complete === undefined ? undefined : Date.now() - backAt;

  // CANOPY_EVENTS is memory storage: after the restart it is gone unless someone recreates it.
  const jsm = await jetstreamManager(run.ticks.nc);
  const events = await pollUntil(
    'CANOPY_EVENTS to exist again',
    () => jsm.streams.info(Streams.events.name).then(() => true),
    {
      timeoutMs: 10_000,
      intervalMs: 250,
    },
  ).then(
    () => Date.now() - backAt,
    () => undefined,
  );
  report.timings['recovery: nats back -> CANOPY_EVENTS exists'] = events;
  if (events === undefined)
    report.problems.push(
      `${Streams.events.name} does not exist after the NATS restart (memory storage, not recreated)`,
    );
  await run.checkpoint(report);
}

/** kill -9 of the history service under load, then a restart: history must become complete again. */
export async function killHistory(run: ChaosRun, report: PhaseReport): Promise<void> {
  const history = run.stack.history as ServiceProcess;
  const killAt = Date.now();
  await history.kill();
  await new Promise((resolve) => setTimeout(resolve, run.config.outageMs));
  history.start();
  await history.waitReady(90_000);
  const readyAt = Date.now();
  report.timings['history restart -> ready'] = readyAt - killAt;

  // Complete: history holds every tick the stream holds that was committed when history was ready.
  const ranges = run.rangesTo(await run.committedTicks(run.live()));
  const took = await run.waitHistory(ranges, HISTORY_RECOVERY_TIMEOUT_MS);
  const complete = took === undefined ? undefined : Date.now();
  report.timings['history: kill -> complete'] =
    complete === undefined ? undefined : complete - killAt;
  report.timings['history: ready -> complete'] =
    complete === undefined ? undefined : complete - readyAt;
  if (complete === undefined) {
    report.problems.push(
      `history did not hold every streamed tick within ${HISTORY_RECOVERY_TIMEOUT_MS / 1000} s of its restart`,
    );
  }
  await run.checkpoint(report);
}

/**
 * SIGTERM to a runner while a client ticks manual executions over REST: its shards are handed
 * over; every REST answer is 2xx, or 503 with a Retry-After the client honours and then succeeds,
 * and none hangs past the gateway's retry budget.
 */
export async function handover(run: ChaosRun, report: PhaseReport): Promise<void> {
  const leaving = run.runners[1];
  const leavingId = run.runnerIdOf(leaving);
  const hangMs = run.config.ownerRetryBudgetMs + run.config.hangMarginMs;
  const ticker = new RestTicker(new GatewayApi(run.stack.gateway.url, 30_000), run.manualIds, {
    hangMs,
    paceMs: 50,
  });
  const successes = (id: string, since = 0) =>
    ticker.answers.filter(
      (a) => a.execId === id && a.at >= since && a.status >= 200 && a.status < 300,
    ).length;
  ticker.start();
  try {
    await pollUntil(
      'REST ticks answered',
      async () => run.manualIds.every((id) => successes(id) >= 3),
      {
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
    const affected = ownedBy(run, run.intervalIds, leavingId);
    const manualOnLeaving = (
      await Promise.all(run.manualIds.map((id) => run.api.execution(id)))
    ).filter((e: Execution) => e.owner === leavingId);
    report.counts['interval executions on the leaving runner'] = affected.length;
    report.counts['manual executions on the leaving runner'] = manualOnLeaving.length;

    const sigtermAt = Date.now();
    const exited = leaving.stop('SIGTERM', 30_000);
    const moved = await run.firstTicks(
      affected,
      sigtermAt,
      FAILOVER_TIMEOUT_MS,
      (r) => r !== leavingId,
    );
    timingsOf(
      report,
      'handover: SIGTERM -> first tick on the new owner',
      moved,
      'ticked on another runner after the SIGTERM',
    );
    report.timings['handover: SIGTERM -> all moved'] = maxOf(moved);
    const exit = await exited;
    report.timings['handover: SIGTERM -> runner exited'] = Date.now() - sigtermAt;
    if (exit.signal === 'SIGKILL')
      report.problems.push(
        `${leavingId} did not exit within 30 s of SIGTERM (${describeExit(exit)})`,
      );

    // Keep ticking until every manual execution was answered a few more times after the move.
    const after = Date.now();
    await pollUntil(
      'REST ticks after the handover',
      async () => run.manualIds.every((id) => successes(id, after) >= 3),
      {
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    ).catch(() =>
      report.problems.push(
        'some manual execution was not ticked 3 times over REST within 30 s after the handover',
      ),
    );
  } finally {
    await ticker.stop();
  }
  report.counts['REST answers by status'] = ticker.counts();
  const latencies = ticker.answers.filter((a) => !a.retry).map((a) => a.ms);
  report.timings['REST tick latency'] = spread(latencies);
  report.notes.push(
    `a REST answer slower than ${hangMs} ms (retry budget + ${run.config.hangMarginMs} ms) counts as a hang`,
  );
  report.problems.push(...ticker.problems());

  report.timings['rejoin: restart -> shards spread over 3 runners'] = await run.bringBack(leaving);
  await run.checkpoint(report);
}

/**
 * Executions of one team on different runners contend for `(semaphore :max 1)`. The truth is the
 * runners' change announcements of the team key: never more than max holders, no version skipped.
 * Mid-phase the runner of the current holder is killed and that execution deleted while it has no
 * live owner; at the end every execution is stopped or deleted and no slot may remain held.
 */
export async function semaphore(run: ChaosRun, report: PhaseReport): Promise<void> {
  const watch = await SemaphoreWatch.start(run.ticks.nc, SEM_TEAM, SEM_KEY, SEM_MAX);
  try {
    const owners = new Map<string, string>();
    for (let i = 0; i < 24 && run.semaphoreIds.length < run.config.semaphoreExecutions; i++) {
      const id = `s${i}`;
      const created = await run.create(id, semaphoreTree(id), {
        team: SEM_TEAM,
        mode: 'interval',
        intervalMs: run.config.semaphoreIntervalMs,
      });
      owners.set(id, created.owner ?? (await run.api.execution(id)).owner ?? '');
      run.semaphoreIds.push(id);
    }
    report.counts['semaphore executions per runner'] = Object.fromEntries(
      [...new Set(owners.values())].map((r) => [
        r,
        [...owners.values()].filter((o) => o === r).length,
      ]),
    );
    if (new Set(owners.values()).size < 2)
      report.problems.push('the semaphore executions did not land on two runners or more');
    await pollUntil('semaphore contention', async () => watch.changes.length >= 30, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });

    // The runner of an execution holding the slot dies; that execution is deleted at once, while
    // nobody owns it: no live runner halts it and releases its slot.
    const holderNow = () => {
      const last = [...watch.changes].sort((a, b) => b.version - a.version)[0];
      const holder = last?.holders?.[0]?.split(':')[0];
      const runner = holder ? run.ticks.lastRunner(holder) : undefined;
      return holder && runner ? { holder, runner } : undefined;
    };
    const { holder, runner: runnerId } = await run.ticks.until(
      'a semaphore holder',
      holderNow,
      30_000,
    );
    const victim = run.runners.find((r) => run.runnerIdOf(r) === runnerId) as ServiceProcess;
    const selfTicking = [...run.intervalIds, ...run.semaphoreIds].filter(
      (id) => id !== holder && !run.deleted.has(id),
    );
    const onVictim = selfTicking.filter((id) => run.ticks.lastRunner(id) === runnerId);
    const killAt = Date.now();
    await victim.kill();
    const deleteAt = Date.now();
    const deleted = await run.api.delete(`/executions/${holder}`);
    report.counts['DELETE of the holder, its runner killed -> status'] = deleted.status;
    report.notes.push(
      `${runnerId} was killed while ${holder} held the slot; ${holder} was deleted then`,
    );
    report.timings['DELETE without a live owner answered in'] = Date.now() - deleteAt;
    if (deleted.status === 200) run.deleted.add(holder);
    else
      report.problems.push(
        `DELETE /executions/${holder} while its runner was dead answered ${deleted.status}: ${JSON.stringify(deleted.body)}`,
      );

    const failover = await run.firstTicks(
      onVictim,
      killAt,
      FAILOVER_TIMEOUT_MS,
      (r) => r !== runnerId,
    );
    timingsOf(
      report,
      'failover: kill -> first tick on the new owner',
      failover,
      'ticked on another runner after the kill',
    );
    report.timings['rejoin: restart -> shards spread over 3 runners'] = await run.bringBack(victim);
    const seen = watch.changes.length;
    await pollUntil('more semaphore contention', async () => watch.changes.length >= seen + 30, {
      timeoutMs: 30_000,
      intervalMs: 50,
    }).catch(() =>
      report.problems.push(
        `the semaphore changed hands ${watch.changes.length - seen} times in 30 s after the restart, not 30: holders ${JSON.stringify(
          [...watch.changes].sort((a, b) => b.version - a.version)[0]?.holders,
        )}`,
      ),
    );

    // The end: half stopped, half deleted; then no slot may be held.
    const remaining = run.semaphoreIds.filter((id) => !run.deleted.has(id));
    for (const [i, id] of remaining.entries()) {
      if (i % 2 === 0) {
        const res = await run.api.post(`/executions/${id}/stop`);
        if (res.status !== 200)
          report.problems.push(`stop ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      } else {
        const res = await run.api.delete(`/executions/${id}`);
        if (res.status === 200) run.deleted.add(id);
        else report.problems.push(`delete ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    const holders = async () => {
      const res = await run.api.get<BlackboardEntry>(
        `/blackboard/team:${SEM_TEAM}/keys/${SEM_KEY}`,
      );
      return res.status === 404 ? [] : ((res.body.value as string[]) ?? []);
    };
    const freed = await pollUntil(
      'every slot released',
      async () => (await holders()).length === 0,
      { timeoutMs: 15_000, intervalMs: 100 },
    ).then(
      () => true,
      () => false,
    );
    if (!freed)
      report.problems.push(
        `leaked slot(s) after every execution was stopped or deleted: ${JSON.stringify(await holders())}`,
      );
    report.counts['semaphore announcements'] = watch.changes.length;
    report.counts['semaphore last version'] = watch.lastVersion;
    report.counts['most holders announced at once'] = watch.maxHolders;
    // The victim may have died between a commit and its announcement: those versions (around the
    // kill, at most one per semaphore execution) are never announced, by design (KillExcuse).
    const excuse = { at: killAt, withinMs: 1000, maxVersions: run.semaphoreIds.length };
    const excused = watch.excused(excuse);
    if (excused.length > 0)
      report.notes.push(`semaphore versions committed by the killed runner and never announced: ${excused.join(', ')}`);
    report.problems.push(...watch.problems(excuse));
  } finally {
    watch.stop();
  }
  await run.checkpoint(report);
}

/**
 * The load stops; once the stream and history have drained, every execution is checked from tick
 * 1 to its tick N (GET /executions/:id): each tick once in the stream and once in history, the
 * per-tick counter and the execution's global key equal to N, the fixed global keys unchanged.
 */
export async function finalInvariants(run: ChaosRun, report: PhaseReport): Promise<void> {
  const ids = run.live();
  for (const id of ids) {
    const res = await run.api.post(`/executions/${id}/stop`);
    if (res.status !== 200)
      report.problems.push(`stop ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const n = new Map<string, number>();
  for (const id of ids) n.set(id, (await run.api.execution(id)).tick);
  report.counts['executions checked'] = ids.length;
  report.counts['ticks checked'] = [...n.values()].reduce((a, b) => a + b, 0);

  // Drained: the stream holds each execution's last tick N (published last) and history every
  // tick the stream holds (what is missing from the stream by then is lost, and reported).
  const drained = async () => {
    await run.stream.sync();
    const meta = await historyMeta(run.redis, ids);
    return ids.every(
      (id) =>
        run.stream.maxTick(id) >= (n.get(id) ?? 0) &&
        (meta.get(id)?.held ?? 0) >= run.stream.countIn(id, 0, n.get(id) ?? 0),
    );
  };
  await pollUntil('the stream and history to drain', drained, {
    timeoutMs: 30_000,
    intervalMs: 250,
  }).catch(() => report.notes.push('the stream or history had not drained 30 s after the stop'));
  await run.stream.sync();

  for (const id of ids) {
    const last = n.get(id) ?? 0;
    report.problems.push(...tickProblems('stream', id, run.stream.ticksOf(id), 0, last));
    const extra = [...run.stream.ticksOf(id).keys()].filter((t) => t > last);
    if (extra.length > 0)
      report.problems.push(
        `${id}: stream holds ticks after its last committed tick ${last}: ${formatTicks(extra)}`,
      );

    const history = await historyTicks(run, id, last);
    report.problems.push(...tickProblems('history', id, history.counts, 0, last));
    const held = [...history.counts.keys()].length;
    if (history.total !== held)
      report.problems.push(
        `${id}: history stats say ${history.total} ticks stored, it lists ${held}`,
      );

    const counter = await value(run, `exec:${id}`, COUNTER_KEY);
    const global = await value(run, 'global', globalKeyOf(id));
    report.problems.push(...counterProblems(id, { tick: last, counter, global }));
  }
  report.problems.push(...(await run.fixedGlobalProblems()));
  report.notes.push(`fixed global keys checked: ${Object.keys(FIXED_GLOBALS).join(', ')}`);
  const audit = ids.map((id) => auditTicks(run.stream.ticksOf(id), 0, n.get(id) ?? 0));
  report.counts['ticks missing from the stream'] = audit.reduce((a, b) => a + b.missing.length, 0);
  report.counts['ticks twice in the stream'] = audit.reduce((a, b) => a + b.duplicated.length, 0);
}

/** Every tick of the execution's history, through the gateway's REST routes, and the stats' total. */
async function historyTicks(
  run: ChaosRun,
  id: string,
  last: number,
): Promise<{ counts: Map<number, number>; total: number }> {
  const counts = new Map<number, number>();
  for (let from = 1; from <= last; from += 1000) {
    const page = await run.api.ok(
      run.api.get<Array<{ tick: number }>>(
        `/executions/${id}/history?from=${from}&to=${Math.min(last, from + 999)}&limit=1000`,
      ),
    );
    for (const s of page) counts.set(s.tick, (counts.get(s.tick) ?? 0) + 1);
  }
  const stats = await run.api.get<{ totalTicks: number }>(`/executions/${id}/stats`);
  return { counts, total: stats.status === 200 ? stats.body.totalTicks : 0 };
}

async function value(run: ChaosRun, scope: string, key: string): Promise<number | undefined> {
  const res = await run.api.get<BlackboardEntry>(`/blackboard/${scope}/keys/${key}`);
  return res.status === 200 ? (res.body.value as number) : undefined;
}

/**
 * With NATS and Redis down, SIGTERM must still stop every service (graceful shutdown that cannot
 * reach its dependencies gives up instead of hanging).
 */
export async function shutdownWithoutBrokers(run: ChaosRun, report: PhaseReport): Promise<void> {
  await Promise.all([run.stack.infra.nats.stop(), run.stack.infra.redis.stop()]);
  const services = run.stack.all().filter((s) => s.running);
  const at = Date.now();
  const exits = await Promise.all(
    services.map(async (s) => {
      const exit = await s.stop('SIGTERM', SHUTDOWN_GRACE_MS);
      return { name: s.name, exit, ms: Date.now() - at };
    }),
  );
  for (const { name, exit, ms } of exits) {
    report.timings[`SIGTERM -> ${name} exited`] = exit.signal === 'SIGKILL' ? undefined : ms;
    if (exit.signal === 'SIGKILL') {
      report.problems.push(
        `${name} did not exit within ${SHUTDOWN_GRACE_MS / 1000} s of SIGTERM with NATS and Redis down`,
      );
    }
  }
}
