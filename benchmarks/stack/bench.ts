/**
 * Stack benchmark: the services as processes (blackboard, ONE tick runner, gateway) on their own
 * nats-server (JetStream) and redis-server (AOF everysec), spawned on free ports.
 *   npm run bench:stack
 * With BENCH_RUNNERS=N (scale-out), N tick runners (./runners.ts): once each is ready the benchmark
 * waits until the shards are split among them; the figures below are then the runners' sums
 * (histograms merged), and the JSON adds `runners`, `shardSplitS` and `perRunner` (each runner's
 * ticks/s, CPU, lag, shards and executions).
 *
 * 1. REST tick round trip: `POST /executions/:id/tick {count:1}` on a 20-node tree, sequential,
 *    over one keep-alive connection, after a warm-up.
 * 2. Interval load: 1,000 interval executions at 10 Hz on the one runner; ticks/s (runner counter,
 *    cross-checked with the CANOPY_TICKS stream) and schedule lag (the runner's
 *    canopy_runner_tick_lag_ms histogram: tick start minus due time) over a fixed window.
 * 3. Per-tick commit cost (the runner's per-slot histogram) and each record's delivery time (commit to
 *    stream ack), from the runner's /metrics.
 * 4. History (./history.ts): after stopping the interval executions and purging CANOPY_TICKS, the
 *    history service is started; its consumer's lag while executions tick in `auto` mode on the
 *    runner for ~10 s, the time the lag takes to return to 0 once they stop, and the time to read
 *    the state at the tick 999 back (through the gateway and as a NATS request).
 * 5. Hot reload (./reload.ts, also `npm run bench:reload`) and the edit-run loop (./dev.ts, also
 *    `npm run bench:dev`), each on a stack of its own after this one is stopped.
 * 6. The floor (./floor.ts): the REST path's hops and a slot's I/O per tick done by the bare
 *    clients, on NATS and Redis of their own; the JSON gains `restFloor*` and `ioFloorUsPerTick`.
 * The table goes to stdout; the LAST line is JSON (fields are only ever added). Env: BENCH_WINDOW_S, BENCH_EXECUTIONS,
 * BENCH_SAMPLES, BENCH_CPU_PROF=1 (the runner writes a .cpuprofile under .data/bench-profiles),
 * BENCH_RUNNER_NODE_ARGS (the runner's Node flags; default those it is deployed with), BENCH_LOG_LEVEL, BENCH_AUTO_EXECUTIONS,
 * BENCH_HISTORY_LOAD_S, BENCH_HISTORY_DRAIN_TIMEOUT_S, BENCH_REBUILD_SAMPLES, BENCH_RUNNERS, BENCH_FLOOR_SAMPLES, BENCH_FLOOR_TICKS.
 */
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Streams } from '@canopy/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { benchDev } from './dev';
import { benchFloor } from './floor';
import { benchHistory, purgeTicks } from './history';
import { benchReload } from './reload';
import { RUNNERS, runnerIds, sumSamples, waitForShardSplit } from './runners';
import { TREE } from './trees';
import { cpuMs, findPid, makeTempDir, REPO_ROOT, ServiceProcess } from './processes';
import {
  getFreePort,
  histogramDelta,
  histogramQuantile as quantile,
  metricDelta as delta,
  type MetricSamples as Samples,
  type NatsHandle,
  parseMetrics,
  type RedisHandle,
  startNats,
  startRedis,
  authHeaders,
  GATEWAY_AUTH_ENV,
} from '@canopy/testing';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000);
const WARMUP = 500;
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 1000);
const INTERVAL_MS = 100;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 20);
const SETTLE_S = 5;

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/** A lean HTTP client (node:http, keep-alive): the round trip should be the stack's, not fetch's. */
function http(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...authHeaders(),
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            body: text && text[0] !== '#' ? JSON.parse(text) : text,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function ok(
  method: string,
  url: string,
  body: unknown,
  status: number,
): Promise<Record<string, unknown>> {
  const res = await http(method, url, body);
  if (res.status !== status)
    throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

async function scrape(runner: ServiceProcess): Promise<Samples> {
  const res = await http('GET', `${runner.url}/metrics`);
  return parseMetrics(String(res.body));
}

/** Every runner's metrics (`each`, in order) and their sum (`all`: counters added, histograms merged). */
async function scrapeAll(runners: ServiceProcess[]): Promise<{ each: Samples[]; all: Samples }> {
  const each = await Promise.all(runners.map(scrape));
  return { each, all: sumSamples(each) };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (n: number, digits = 3) =>
  Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n;

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function storedTicks(natsUrl: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(Streams.ticks.name)).state.messages;
  } finally {
    await nc.close();
  }
}

interface Running {
  nats?: NatsHandle;
  redis?: RedisHandle;
  services: ServiceProcess[];
  logs: { dir: string; remove(): void };
  /** Starts one more service process on the stack's NATS and Redis (not yet ready). */
  start?: (
    name: string,
    env?: Record<string, string>,
    nodeArgs?: string[],
  ) => Promise<ServiceProcess>;
}

interface Stack {
  gateway: ServiceProcess;
  runners: ServiceProcess[];
  /** RUNNER_ID of each runner, in the order of `runners`. */
  runnerIds: string[];
  /** From the runners' readiness to the shards split among them (0 with one runner: not waited for). */
  shardSplitS: number;
}

async function startStack(run: Running): Promise<Stack> {
  [run.nats, run.redis] = await Promise.all([
    startNats(),
    startRedis({ appendonly: process.env.BENCH_REDIS_AOF !== '0' }),
  ]);
  const common = {
    NATS_URL: run.nats.url,
    REDIS_URL: run.redis.url,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
  };
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${join(REPO_ROOT, '.data', 'bench-profiles')}`]
    : [];
  // Node flags for the runner only: by default those it is deployed with (scripts/start-stack.mjs,
  // docker-compose.yml, k8s); BENCH_RUNNER_NODE_ARGS replaces them (empty: none).
  profile.push(...(process.env.BENCH_RUNNER_NODE_ARGS ?? '--max-semi-space-size=64').split(' ').filter(Boolean));
  const start = async (
    name: string,
    env: Record<string, string> = {},
    nodeArgs: string[] = [],
    app = name,
  ) => {
    const service = new ServiceProcess(
      name,
      app,
      await getFreePort(),
      { ...common, ...env },
      join(run.logs.dir, `${name}.log`),
      nodeArgs,
    );
    run.services.push(service);
    return service;
  };
  run.start = start;
  await start('blackboard');
  const ids = runnerIds(RUNNERS);
  const runners: ServiceProcess[] = [];
  for (const [i, id] of ids.entries()) {
    const name = ids.length === 1 ? 'tick-runner' : `tick-runner-${i + 1}`;
    runners.push(await start(name, { RUNNER_ID: id }, profile, 'tick-runner'));
  }
  // Auth on, as deployed: every request is authenticated and counted (limit out of reach).
  const gateway = await start('gateway', { ...GATEWAY_AUTH_ENV });
  await Promise.all(run.services.map((s) => s.waitReady(120_000)));
  if (runners.length === 1) return { gateway, runners, runnerIds: ids, shardSplitS: 0 };
  const readyAt = Date.now();
  const views = runners.map((r, i) => ({ id: ids[i], scrape: () => scrape(r) }));
  await waitForShardSplit(views, 60_000);
  return { gateway, runners, runnerIds: ids, shardSplitS: (Date.now() - readyAt) / 1000 };
}

async function stopStack(run: Running): Promise<void> {
  await Promise.allSettled([...run.services].reverse().map((s) => s.stop()));
  await Promise.allSettled([run.nats?.dispose(), run.redis?.dispose()]);
  if (process.env.BENCH_KEEP_LOGS) console.error(`service logs kept in ${run.logs.dir}`);
  else run.logs.remove();
}

async function main(): Promise<void> {
  const run: Running = { services: [], logs: makeTempDir('bench-stack') };
  const stopOnSignal = () => void stopStack(run).finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  let result: Record<string, unknown>;
  try {
    result = await bench(run);
  } finally {
    agent.destroy();
    await stopStack(run);
  }
  // Hot reload and the edit-run loop, each on a stack of its own once this one is down.
  console.log('');
  const reload = await benchReload();
  const dev = await benchDev();
  const floor = await benchFloor();
  console.log(
    `\nfloor (the same hops with bare clients, ./floor.ts): REST p50 ${floor.restFloorP50Ms} ms ` +
      `(stack ${result.tickRoundTripP50Ms}), p99 ${floor.restFloorP99Ms}; without the stream ` +
      `${floor.restFloorNoStreamP50Ms}, HTTP + NATS only ${floor.restFloorNatsOnlyP50Ms}; ` +
      `I/O per interval tick ${floor.ioFloorUsPerTick} µs of client CPU (runner ${result.runnerCpuUsPerTick})`,
  );
  console.log(
    JSON.stringify({
      ...result,
      reloadToTickP50Ms: reload.reloadToTickP50Ms,
      reloadToTickP99Ms: reload.reloadToTickP99Ms,
      devSaveToTickP50Ms: dev.saveToTickP50Ms,
      devSaveToTickP99Ms: dev.saveToTickP99Ms,
      ...floor,
    }),
  );
}

async function bench(run: Running): Promise<Record<string, unknown>> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}`);
  const stack = await startStack(run);
  const { gateway, runners } = stack;
  const multi = runners.length > 1;
  const api = gateway.url;
  const natsPid = findPid(['nats-server', `-p ${run.nats?.port} `]);
  const redisPid = findPid(['redis-server', `127.0.0.1:${run.redis?.port} `]);
  console.log(
    `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (services as processes, ` +
      (multi
        ? `${runners.length} runners, shards split ${stack.shardSplitS.toFixed(1)} s after ready)\n`
        : 'one runner)\n'),
  );

  const tree = await ok('POST', `${api}/trees`, { source: TREE }, 201);
  if (tree.nodeCount !== 20)
    throw new Error(`bench tree has ${String(tree.nodeCount)} nodes, not 20`);

  // 1. REST tick round trip.
  await ok('POST', `${api}/executions`, { tree: 'bench-20', id: 'rt' }, 201);
  for (let i = 0; i < WARMUP; i++) await ok('POST', `${api}/executions/rt/tick`, { count: 1 }, 200);
  // The execution lands on one runner; the others' deltas are 0, so the sum is that runner's.
  const rtBefore = (await scrapeAll(runners)).all;
  const rt: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    const res = await http('POST', `${api}/executions/rt/tick`, { count: 1 });
    rt.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`tick: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  const rtAfter = (await scrapeAll(runners)).all;
  rt.sort((a, b) => a - b);
  const rtCommit = histogramDelta(rtBefore, rtAfter, 'canopy_runner_slot_commit_ms');
  const rtDelivery = histogramDelta(rtBefore, rtAfter, 'canopy_runner_delivery_ms');
  const rtTicks = delta(rtBefore, rtAfter, 'canopy_runner_slot_ticks_total');

  // 2. Interval load: EXECUTIONS at INTERVAL_MS, on the one runner or spread over the runners' shards.
  const ids = Array.from({ length: EXECUTIONS }, (_, i) => `iv-${i}`);
  const createStart = Date.now();
  await pool(ids, 16, async (id) => {
    const body = { tree: 'bench-20', id, mode: 'interval', intervalMs: INTERVAL_MS };
    // A busy runner may not answer within the gateway's timeout (503): try again, a create is idempotent by id.
    for (let attempt = 1; ; attempt++) {
      const res = await http('POST', `${api}/executions`, body);
      if (res.status === 201 || (res.status === 409 && attempt > 1)) return;
      if (res.status !== 503 || attempt === 5)
        throw new Error(`create ${id}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  const createS = (Date.now() - createStart) / 1000;
  // Let every execution reach its steady fixed-rate schedule, then measure a fixed window.
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const beforeAll = await scrapeAll(runners);
  const storedBefore = await storedTicks(run.nats?.url ?? '');
  const cpuBefore = {
    runners: runners.map((r) => cpuMs(r.pid)),
    nats: natsPid ? cpuMs(natsPid) : 0,
    redis: redisPid ? cpuMs(redisPid) : 0,
  };
  const windowStart = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const elapsedS = (performance.now() - windowStart) / 1000;
  const afterAll = await scrapeAll(runners);
  const storedAfter = await storedTicks(run.nats?.url ?? '');
  const cpu = (pid: number | undefined, was: number) =>
    pid ? ((cpuMs(pid) - was) / (elapsedS * 1000)) * 100 : Number.NaN;
  const runnerCpuPcts = runners.map((r, i) => cpu(r.pid, cpuBefore.runners[i]));
  const cpuPct = {
    runner: runnerCpuPcts.reduce((a, b) => a + b, 0),
    nats: cpu(natsPid, cpuBefore.nats),
    redis: cpu(redisPid, cpuBefore.redis),
  };

  // All runners together: counters summed, histograms merged bucket by bucket before any quantile.
  const [before, after] = [beforeAll.all, afterAll.all];
  const ticks = delta(before, after, 'canopy_runner_ticks_total');
  const ticksPerSec = ticks / elapsedS;
  const storedPerSec = (storedAfter - storedBefore) / elapsedS;
  const lag = histogramDelta(before, after, 'canopy_runner_tick_lag_ms');
  const commit = histogramDelta(before, after, 'canopy_runner_slot_commit_ms');
  const delivery = histogramDelta(before, after, 'canopy_runner_delivery_ms');
  const slotTicks = delta(before, after, 'canopy_runner_slot_ticks_total');
  const slots = delta(before, after, 'canopy_runner_slots_total');
  const failures =
    delta(before, after, 'canopy_runner_commit_failures_total') +
    delta(before, after, 'canopy_runner_publish_failures_total');
  const perRunner = runners.map((_, i) => {
    const [was, now] = [beforeAll.each[i], afterAll.each[i]];
    const own = delta(was, now, 'canopy_runner_ticks_total');
    const ownLag = histogramDelta(was, now, 'canopy_runner_tick_lag_ms');
    return {
      id: stack.runnerIds[i],
      /** Held and loaded at the end of the window (`executions` includes the round trip's one). */
      shards: now.get('canopy_runner_shards') ?? Number.NaN,
      executions: now.get('canopy_runner_executions') ?? Number.NaN,
      ticksPerSec: round(own / elapsedS, 1),
      cpuPct: round(runnerCpuPcts[i], 1),
      cpuUsPerTick: round(((runnerCpuPcts[i] / 100) * elapsedS * 1e6) / own, 1),
      lagP50Ms: round(quantile(ownLag, 0.5), 2),
      lagP99Ms: round(quantile(ownLag, 0.99), 2),
    };
  });

  const loadAvgWindowEnd = loadavg()[0];

  // 4. History: stop the interval load, empty the stream, start the history service, measure.
  const stopStart = Date.now();
  await pool(ids, 16, async (id) => {
    for (let attempt = 1; ; attempt++) {
      const res = await http('POST', `${api}/executions/${id}/stop`, {});
      if (res.status === 200) return;
      if (res.status !== 503 || attempt === 5)
        throw new Error(`stop ${id}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  const stopIntervalS = (Date.now() - stopStart) / 1000;
  await new Promise((r) => setTimeout(r, 500)); // a slot in progress publishes its last records
  await purgeTicks(run.nats?.url ?? '');
  const historyStart = Date.now();
  const historyService = await (run.start as NonNullable<Running['start']>)('history');
  await historyService.waitReady(120_000);
  const historyUpS = (Date.now() - historyStart) / 1000;
  const loadAvgHistoryStart = loadavg()[0];
  const {
    historyLagMaxMsgs,
    historyLagP99Msgs,
    historyDrainMs,
    rebuild999P50Ms,
    rebuild999P99Ms,
    ...historyMore
  } = await benchHistory(api, run.nats?.url ?? '', http, {
    runners: runners.map((r) => r.pid),
    history: historyService.pid,
  });

  const result = {
    tickRoundTripP50Ms: round(percentile(rt, 0.5)),
    tickRoundTripP99Ms: round(percentile(rt, 0.99)),
    intervalTicksPerSec: round(ticksPerSec, 1),
    lagP99Ms: round(quantile(lag, 0.99), 2),
    tickRoundTripMeanMs: round(rt.reduce((a, b) => a + b, 0) / rt.length),
    tickRoundTripMaxMs: round(rt[rt.length - 1]),
    roundTripSamples: rt.length,
    roundTripCommitPerTickMs: round(rtCommit.sum / rtTicks),
    roundTripCommitP50Ms: round(quantile(rtCommit, 0.5)),
    roundTripDeliveryP50Ms: round(quantile(rtDelivery, 0.5)),
    intervalExecutions: EXECUTIONS,
    intervalMs: INTERVAL_MS,
    targetTicksPerSec: (EXECUTIONS * 1000) / INTERVAL_MS,
    windowS: round(elapsedS, 1),
    storedTicksPerSec: round(storedPerSec, 1),
    lagP50Ms: round(quantile(lag, 0.5), 2),
    lagMeanMs: round(lag.sum / lag.count, 2),
    lagSamples: lag.count,
    ticksPerSlot: round(slotTicks / slots, 1),
    commitPerTickMs: round(commit.sum / slotTicks, 4),
    slotCommitP50Ms: round(quantile(commit, 0.5)),
    slotCommitP99Ms: round(quantile(commit, 0.99)),
    deliveryP50Ms: round(quantile(delivery, 0.5)),
    deliveryP99Ms: round(quantile(delivery, 0.99)),
    ioFailures: failures,
    runnerCpuPct: round(cpuPct.runner, 1),
    runnerCpuUsPerTick: round(((cpuPct.runner / 100) * elapsedS * 1e6) / ticks, 1),
    natsCpuPct: round(cpuPct.nats, 1),
    redisCpuPct: round(cpuPct.redis, 1),
    createExecutionsS: round(createS, 1),
    /** Load average (1 min) of the machine at the start and at the end of the window: others' work counts too. */
    loadAvgStart: round(loadAtStart, 2),
    loadAvgWindowEnd: round(loadAvgWindowEnd, 2),
    // Only with BENCH_RUNNERS > 1, so one runner's line keeps its keys.
    ...(multi
      ? { runners: runners.length, shardSplitS: round(stack.shardSplitS, 1), perRunner }
      : {}),
    historyLagMaxMsgs,
    historyLagP99Msgs,
    historyDrainMs,
    rebuild999P50Ms,
    rebuild999P99Ms,
    ...historyMore,
    stopIntervalExecutionsS: round(stopIntervalS, 1),
    historyStartS: round(historyUpS, 1),
    loadAvgHistoryStart: round(loadAvgHistoryStart, 2),
    loadAvgEnd: round(loadavg()[0], 2),
    totalS: 0,
  };
  result.totalS = round((Date.now() - started) / 1000, 1);

  const rows: Array<[string, string, string]> = [
    ['REST tick round trip p50 (20 nodes)', `${result.tickRoundTripP50Ms} ms`, 'goal <= 2 ms'],
    [
      'REST tick round trip p99 / mean / max',
      `${result.tickRoundTripP99Ms} / ${result.tickRoundTripMeanMs} / ${result.tickRoundTripMaxMs} ms`,
      `${rt.length} samples`,
    ],
    [
      '  of which commit (1 tick/slot)',
      `${result.roundTripCommitPerTickMs} ms`,
      `commit p50 ${result.roundTripCommitP50Ms}, delivery p50 ${result.roundTripDeliveryP50Ms}`,
    ],
    [
      `interval ticks/s (${EXECUTIONS} x ${1000 / INTERVAL_MS} Hz${multi ? `, ${runners.length} runners` : ''})`,
      `${result.intervalTicksPerSec}`,
      `target ${result.targetTicksPerSec}; stream ${result.storedTicksPerSec}`,
    ],
    ['tick lag p50 / p99', `${result.lagP50Ms} / ${result.lagP99Ms} ms`, 'goal p99 <= 20 ms'],
    ['ticks per slot', `${result.ticksPerSlot}`, `${slots} slots in ${result.windowS} s`],
    ['commit per tick (amortized)', `${result.commitPerTickMs} ms`, ''],
    ['slot commit p50 / p99', `${result.slotCommitP50Ms} / ${result.slotCommitP99Ms} ms`, ''],
    [
      'record delivery p50 / p99 (commit to stream ack)',
      `${result.deliveryP50Ms} / ${result.deliveryP99Ms} ms`,
      '',
    ],
    [
      multi ? 'CPU runners (sum) / nats / redis' : 'CPU runner / nats / redis',
      `${result.runnerCpuPct} / ${result.natsCpuPct} / ${result.redisCpuPct} %`,
      `of one core, ${cpus().length} cores`,
    ],
    ['runner CPU per interval tick', `${result.runnerCpuUsPerTick} µs`, ''],
    ...(multi ? perRunner : []).map((r): [string, string, string] => [
      `  ${r.id}: ticks/s, lag p50 / p99`,
      `${r.ticksPerSec}, ${r.lagP50Ms} / ${r.lagP99Ms} ms`,
      `CPU ${r.cpuPct} % (${r.cpuUsPerTick} µs/tick); ${r.shards} shards, ${r.executions} executions`,
    ]),
    ['commit/publish failures', `${failures}`, ''],
    [
      'machine load average (1 min)',
      `${result.loadAvgStart} -> ${result.loadAvgWindowEnd}`,
      `on ${cpus().length} cores`,
    ],
    [
      `history: auto load (${result.historyAutoExecutions} executions)`,
      `${result.historyLoadTicksPerSec} ticks/s`,
      `${result.historyLoadS} s; history ingested ${result.historyIngestPerSec}/s on average until drained`,
    ],
    ['  lag at each second from the load start', result.historyLagBySecond.join(' '), ''],
    [
      multi
        ? '  CPU runners (sum) / history during the load'
        : '  CPU runner / history during the load',
      `${result.historyLoadRunnerCpuPct} / ${result.historyLoadHistoryCpuPct} %`,
      'of one core',
    ],
    [
      'history consumer lag max / p50 / p99',
      `${result.historyLagMaxMsgs} / ${result.historyLagP50Msgs} / ${result.historyLagP99Msgs} msgs`,
      `${result.historyLagSamples} samples every 100 ms; goal bounded`,
    ],
    [
      'history drain after last publish',
      `${result.historyDrainMs ?? 'not drained'} ms`,
      `goal <= 1000 ms; ${result.historyDrainFromStopMs ?? '-'} ms after the stops were sent`,
    ],
    [
      `state at tick latest-999 (GET, gateway) p50 / p99`,
      `${result.rebuild999P50Ms} / ${result.rebuild999P99Ms} ms`,
      `goal < 10 ms; tick ${result.rebuild999Tick}, keyframe ${result.rebuild999KeyframeTick}`,
    ],
    [
      '  same, NATS canopy.svc.history.get p50 / p99',
      `${result.rebuild999NatsP50Ms} / ${result.rebuild999NatsP99Ms} ms`,
      `${result.rebuildSamples} samples each`,
    ],
    [
      '  49 deltas after a keyframe (NATS) p50 / p99',
      `${result.rebuild49DeltasNatsP50Ms} / ${result.rebuild49DeltasNatsP99Ms} ms`,
      'the most a rebuild applies',
    ],
    [
      'machine load average at history start / end',
      `${result.loadAvgHistoryStart} -> ${result.loadAvgEnd}`,
      '',
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, note] of rows)
    console.log(`${name.padEnd(width)}  ${value.padEnd(28)}  ${note}`);
  console.log(
    `\ntotal ${result.totalS} s (creating ${EXECUTIONS} executions took ${result.createExecutionsS} s)`,
  );
  return result;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
