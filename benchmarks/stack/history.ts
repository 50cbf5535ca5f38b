/**
 * The history part of the stack benchmark (docs/performance.md, Stack → History):
 *
 * 1. Consumer lag under load: AUTO_EXECUTIONS executions of a tree that never finishes tick in
 *    `auto` mode (one tick per execution per scheduler slot: the runner's maximum rate) for
 *    LOAD_S seconds. A sampler reads `Consumers.history`'s `num_pending + num_ack_pending` (and
 *    the stream's last sequence and timestamp) every SAMPLE_MS, every DRAIN_SAMPLE_MS once the
 *    executions are stopped. The drain time is from the last tick record's publish (the stream's
 *    `last_ts`, once its last sequence stops growing) to the first sample with lag 0.
 * 2. Rebuild of the state 999 ticks back: one execution ticks REBUILD_TICKS (> retention) ticks;
 *    `GET /executions/:id/history/<latest-999>` through the gateway, and the same read as a NATS
 *    request `canopy.svc.history.get` straight from the benchmark (no HTTP, no gateway).
 */
import { Consumers, Streams, Subjects } from '@canopy/contracts';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { cpuMs } from './processes';
import { AUTO_TREE } from './trees';

type NatsConnection = Awaited<ReturnType<typeof connect>>;

const AUTO_EXECUTIONS = Number(process.env.BENCH_AUTO_EXECUTIONS ?? 100);
const LOAD_S = Number(process.env.BENCH_HISTORY_LOAD_S ?? 10);
const SAMPLE_MS = 100;
const DRAIN_SAMPLE_MS = 20;
const DRAIN_TIMEOUT_S = Number(process.env.BENCH_HISTORY_DRAIN_TIMEOUT_S ?? 60);
/** More than the default retention (HISTORY_RETAIN_TICKS = 1000), so the oldest ones are dropped. */
const REBUILD_TICKS = 1200;
const REBUILD_SAMPLES = Number(process.env.BENCH_REBUILD_SAMPLES ?? 200);
const REBUILD_WARMUP = 20;


export type Http = (method: string, url: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

interface LagSample {
  /** ms since the load started (performance.now based). */
  t: number;
  /** Epoch ms at the reply. */
  at: number;
  lag: number;
  lastSeq: number;
  lastTs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (n: number, digits = 3) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

/** Runs `fn` for every item at once, retrying a 503 (a busy runner missed the gateway's deadline). */
async function everyOk(http: Http, items: string[], call: (id: string) => [string, string, unknown], want: number[]): Promise<void> {
  await Promise.all(
    items.map(async (id) => {
      const [method, url, body] = call(id);
      for (let attempt = 1; ; attempt++) {
        const res = await http(method, url, body);
        if (want.includes(res.status)) return;
        if (res.status !== 503 || attempt === 5) throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
}

async function sample(jsm: JetStreamManager, t0: number): Promise<LagSample> {
  const [consumer, stream] = await Promise.all([
    jsm.consumers.info(Streams.ticks.name, Consumers.history),
    jsm.streams.info(Streams.ticks.name),
  ]);
  return {
    t: performance.now() - t0,
    at: Date.now(),
    lag: consumer.num_pending + consumer.num_ack_pending,
    lastSeq: stream.state.last_seq,
    lastTs: Date.parse(stream.state.last_ts),
  };
}

/** Empties CANOPY_TICKS (the earlier phases' records), so history starts with nothing to catch up on. */
export async function purgeTicks(natsUrl: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.purge(Streams.ticks.name)).purged;
  } finally {
    await nc.close();
  }
}

export interface HistoryResult {
  historyLagMaxMsgs: number;
  historyLagP50Msgs: number;
  historyLagP99Msgs: number;
  historyDrainMs: number | null;
  historyDrainFromStopMs: number | null;
  historyAutoExecutions: number;
  historyLoadS: number;
  historyLoadTicksPerSec: number;
  historyIngestPerSec: number;
  historyLagSamples: number;
  historyStopS: number;
  /** CPU (% of one core) of the runner (the runners together) and of the history service over the load. */
  historyLoadRunnerCpuPct: number;
  historyLoadHistoryCpuPct: number;
  /** The lag at each whole second from the start of the load until drained (the shape: growing or flat). */
  historyLagBySecond: number[];
  rebuild999P50Ms: number;
  rebuild999P99Ms: number;
  rebuild999NatsP50Ms: number;
  rebuild999NatsP99Ms: number;
  rebuild999Tick: number;
  rebuild999KeyframeTick: number;
  rebuild49DeltasNatsP50Ms: number;
  rebuild49DeltasNatsP99Ms: number;
  rebuildSamples: number;
}

/** Processes whose CPU use over the load is reported (the runners' summed). */
export interface Pids {
  runners: number[];
  history: number;
}

export async function benchHistory(api: string, natsUrl: string, http: Http, pids: Pids): Promise<HistoryResult> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    return { ...(await lagUnderLoad(api, jsm, http, pids)), ...(await rebuild(api, nc, http)) };
  } finally {
    await nc.close();
  }
}

async function lagUnderLoad(api: string, jsm: JetStreamManager, http: Http, pids: Pids) {
  const tree = await http('POST', `${api}/trees`, { source: AUTO_TREE });
  if (tree.status !== 201) throw new Error(`POST /trees bench-auto: HTTP ${tree.status} ${JSON.stringify(tree.body)}`);
  const ids = Array.from({ length: AUTO_EXECUTIONS }, (_, i) => `auto-${i}`);
  // Created manual (nothing ticks), then all started at once: the load has a sharp start.
  await everyOk(http, ids, (id) => ['POST', `${api}/executions`, { tree: 'bench-auto', id }], [201]);

  const t0 = performance.now();
  const runnersCpuMs = () => pids.runners.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const cpuStart = { runner: runnersCpuMs(), history: cpuMs(pids.history) };
  const first = await sample(jsm, t0);
  const samples: LagSample[] = [];
  const state: { phase: 'load' | 'drain' | 'done' } = { phase: 'load' };
  let stopSentAt = Number.POSITIVE_INFINITY;
  let stopsDoneAt = Number.POSITIVE_INFINITY;
  const sampler = (async () => {
    while (state.phase !== 'done') {
      const next = performance.now() + (state.phase === 'load' ? SAMPLE_MS : DRAIN_SAMPLE_MS);
      try {
        samples.push(await sample(jsm, t0));
      } catch {
        // an info request timed out under load: that sample is missing
      }
      await sleep(Math.max(0, next - performance.now()));
    }
  })();

  await everyOk(http, ids, (id) => ['POST', `${api}/executions/${id}/start`, { mode: 'auto' }], [200]);
  await sleep(Math.max(0, LOAD_S * 1000 - (performance.now() - t0)));
  stopSentAt = performance.now() - t0;
  const cpuPct = (now: number, was: number) => round(((now - was) / stopSentAt) * 100, 1);
  const cpu = { runner: cpuPct(runnersCpuMs(), cpuStart.runner), history: cpuPct(cpuMs(pids.history), cpuStart.history) };
  state.phase = 'drain';
  await everyOk(http, ids, (id) => ['POST', `${api}/executions/${id}/stop`, {}], [200]);
  stopsDoneAt = performance.now() - t0;

  // Drained: after every stop was answered, the stream's last sequence no longer moves and the lag is 0.
  const deadline = performance.now() + DRAIN_TIMEOUT_S * 1000;
  let drained: LagSample | undefined;
  for (;;) {
    await sleep(DRAIN_SAMPLE_MS);
    const afterStops = samples.filter((s) => s.t >= stopsDoneAt);
    const last = afterStops[afterStops.length - 1];
    const stable = afterStops.length >= 5 && afterStops.slice(-5).every((s) => s.lastSeq === last.lastSeq);
    if (stable && last.lag === 0) {
      // The first sample with the final last sequence and lag 0 (possibly taken before the stops' replies).
      drained = samples.find((s) => s.lastSeq === last.lastSeq && s.lag === 0);
      break;
    }
    if (performance.now() > deadline) break;
  }
  state.phase = 'done';
  await sampler;

  const final = samples[samples.length - 1];
  const loadSamples = samples.filter((s) => s.t <= stopSentAt).map((s) => s.lag);
  const sorted = [...loadSamples].sort((a, b) => a - b);
  // The last tick record's publish: the stream's last_ts once its last sequence stopped growing.
  const lastPublishMs = final.lastTs;
  const published = final.lastSeq - first.lastSeq;
  const loadSpanS = (samples.find((s) => s.lastSeq === final.lastSeq)?.t ?? stopsDoneAt) / 1000;
  return {
    historyLagMaxMsgs: Math.max(...samples.map((s) => s.lag)),
    historyLagP50Msgs: percentile(sorted, 0.5),
    historyLagP99Msgs: percentile(sorted, 0.99),
    historyDrainMs: drained ? Math.max(0, drained.at - lastPublishMs) : null,
    historyDrainFromStopMs: drained ? round(Math.max(0, drained.t - stopSentAt), 1) : null,
    historyAutoExecutions: AUTO_EXECUTIONS,
    historyLoadS: round(stopSentAt / 1000, 2),
    historyLoadTicksPerSec: round(published / loadSpanS, 1),
    historyIngestPerSec: drained ? round(published / (drained.t / 1000), 1) : Number.NaN,
    historyLagSamples: loadSamples.length,
    historyStopS: round((stopsDoneAt - stopSentAt) / 1000, 2),
    historyLagBySecond: Array.from(
      { length: Math.ceil((samples[samples.length - 1]?.t ?? 0) / 1000) },
      (_, i) => samples.find((s) => s.t >= i * 1000)?.lag ?? Number.NaN,
    ),
    historyLoadRunnerCpuPct: cpu.runner,
    historyLoadHistoryCpuPct: cpu.history,
  };
}

async function timed(n: number, fn: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

async function rebuild(api: string, nc: NatsConnection, http: Http) {
  const id = 'hist-rebuild';
  const res = await http('POST', `${api}/executions`, { tree: 'bench-auto', id, mode: 'auto', maxTicks: REBUILD_TICKS });
  if (res.status !== 201) throw new Error(`create ${id}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  // Until the runner completed it and history stored its last tick.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await http('GET', `${api}/executions/${id}/history/${REBUILD_TICKS}`);
    if (got.status === 200) break;
    if (Date.now() > deadline) throw new Error(`history never stored tick ${REBUILD_TICKS} of ${id}: ${JSON.stringify(got.body)}`);
    await sleep(100);
  }
  const tick = REBUILD_TICKS - 999;
  const url = `${api}/executions/${id}/history/${tick}`;
  const check = await http('GET', url);
  if (check.status !== 200) throw new Error(`GET ${url}: HTTP ${check.status} ${JSON.stringify(check.body)}`);
  const keyframeTick = Number((check.body as { keyframeTick?: number }).keyframeTick);

  const viaHttp = async (path: string) => {
    const r = await http('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
  };
  const viaNats = (t: number) => async () => {
    const reply = (await nc.request(Subjects.historyGet, JSON.stringify({ id, tick: t }), { timeout: 5000 })).json<{ error?: unknown }>();
    if (reply.error) throw new Error(`${Subjects.historyGet} ${t}: ${JSON.stringify(reply.error)}`);
  };
  await timed(REBUILD_WARMUP, () => viaHttp(url));
  await timed(REBUILD_WARMUP, viaNats(tick));
  const gw = await timed(REBUILD_SAMPLES, () => viaHttp(url));
  const direct = await timed(REBUILD_SAMPLES, viaNats(tick));
  // The most deltas a rebuild applies: one tick before a keyframe (HISTORY_KEYFRAME_EVERY = 50).
  const worst = await timed(REBUILD_SAMPLES, viaNats(REBUILD_TICKS - 1));
  return {
    rebuild999P50Ms: round(percentile(gw, 0.5)),
    rebuild999P99Ms: round(percentile(gw, 0.99)),
    rebuild999NatsP50Ms: round(percentile(direct, 0.5)),
    rebuild999NatsP99Ms: round(percentile(direct, 0.99)),
    rebuild999Tick: tick,
    rebuild999KeyframeTick: keyframeTick,
    rebuild49DeltasNatsP50Ms: round(percentile(worst, 0.5)),
    rebuild49DeltasNatsP99Ms: round(percentile(worst, 0.99)),
    rebuildSamples: REBUILD_SAMPLES,
  };
}
