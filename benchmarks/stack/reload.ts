/**
 * Hot reload benchmark: from `PUT /executions/:id/tree` sent to the first tick record of the new
 * tree on `canopy.ticks.<id>`. The stack runs as processes (blackboard, one tick runner, gateway,
 * no history) on spawned nats-server and redis-server. One execution ticks in `interval` mode
 * every INTERVAL_MS; each sample swaps its tree (`swap-now`, alternating between two sources, so
 * each PUT registers a new version) and waits for a record carrying that version.
 *
 * With an interval of 10 ms, up to 10 ms of each figure is the wait for the next scheduled tick,
 * as a user of an interval execution sees it. The last line printed is JSON.
 *
 *   npm run bench:reload            (BENCH_RELOAD_SAMPLES, default 200)
 */
import { cpus, loadavg } from 'node:os';
import type { ReloadReply, TickRecordMessage } from '@canopy/contracts';
import { Subjects } from '@canopy/contracts';
import { GatewayApi, startStack } from '@canopy/testing';
import { connect } from '@nats-io/transport-node';

const SAMPLES = Number(process.env.BENCH_RELOAD_SAMPLES ?? 200);
const WARMUP = 20;
const INTERVAL_MS = 10;
const source = (variant: number) => `(tree "bench-reload"
  (sequence
    (set "n" (+ (get "n" 0) 1))
    (condition (>= $n ${variant}))
    (repeat :times -1 (success))))`;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface BenchReloadResult {
  samples: number;
  intervalMs: number;
  reloadToTickP50Ms: number;
  reloadToTickP99Ms: number;
  cpus: number;
  loadAvg: number;
  node: string;
}

/** Runs the benchmark on its own stack; prints its lines, returns the figures (also `bench:stack`'s). */
export async function benchReload(): Promise<BenchReloadResult> {
  const stack = await startStack({ label: 'bench-reload', history: false, logLevel: 'warn' });
  const nc = await connect({ servers: stack.infra.nats.url });
  try {
    const api = new GatewayApi(stack.gateway.url);
    await api.registerTree(source(0));
    await api.createExecution({ tree: 'bench-reload', id: 'rl', mode: 'interval', intervalMs: INTERVAL_MS });

    // When the first record of each version arrived: it may come before the PUT's reply does.
    const firstSeen = new Map<number, number>();
    let waiting: { version: number; resolve(at: number): void } | undefined;
    const sub = nc.subscribe(Subjects.ticks('rl'));
    void (async () => {
      for await (const m of sub) {
        const at = performance.now();
        const { version } = m.json<TickRecordMessage>();
        if (!firstSeen.has(version)) firstSeen.set(version, at);
        if (waiting && version === waiting.version) waiting.resolve(at);
      }
    })();

    const samples: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const t0 = performance.now();
      const reply = await api.ok(
        api.put<ReloadReply>('/executions/rl/tree', { source: source((i % 2) + 1), policy: 'swap-now' }),
      );
      const seen =
        firstSeen.get(reply.toVersion) ??
        (await new Promise<number>((resolve) => {
          waiting = { version: reply.toVersion, resolve };
        }));
      waiting = undefined;
      if (i >= WARMUP) samples.push(seen - t0);
    }
    sub.unsubscribe();
    samples.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    const result = {
      samples: SAMPLES,
      intervalMs: INTERVAL_MS,
      reloadToTickP50Ms: round(percentile(samples, 0.5)),
      reloadToTickP99Ms: round(percentile(samples, 0.99)),
      cpus: cpus().length,
      loadAvg: round(loadavg()[0]),
      node: process.version,
    };
    console.log(`hot reload, ${SAMPLES} samples (interval ${INTERVAL_MS} ms, one runner, load avg ${result.loadAvg}):`);
    console.log(`  PUT sent -> first record of the new tree   p50 ${result.reloadToTickP50Ms} ms, p99 ${result.reloadToTickP99Ms} ms`);
    return result;
  } finally {
    await nc.close();
    await stack.dispose();
  }
}

if (require.main === module) {
  benchReload().then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
