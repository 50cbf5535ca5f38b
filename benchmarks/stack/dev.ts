/**
 * The edit-run loop: from a file saved to the first tick record of the saved tree, with
 * `canopy dev` running as its own process against the stack (blackboard, one tick runner,
 * gateway, no history, on spawned nats-server and redis-server). The execution ticks every
 * INTERVAL_MS; each sample writes the file (alternating between two variants, `swap-now`) and
 * waits for a record on `canopy.ticks.<id>` carrying the new version.
 *
 * The figure is everything a user waits for: the file watch and its debounce (60 ms, so an
 * editor's burst of writes is one save), the local check, the PUT, the reload, and the wait for
 * the next scheduled tick (up to INTERVAL_MS). The last line printed is JSON.
 *
 *   npm run bench:dev            (BENCH_DEV_SAMPLES, default 60)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TickRecordMessage } from '@canopy/contracts';
import { Subjects } from '@canopy/contracts';
import { startStack, TEST_ADMIN_KEY } from '@canopy/testing';
import { connect } from '@nats-io/transport-node';

const SAMPLES = Number(process.env.BENCH_DEV_SAMPLES ?? 60);
const WARMUP = 5;
const INTERVAL_MS = 10;
const ID = 'dev-bench';
const source = (variant: number) => `(tree "bench-dev"
  (sequence
    (set "n" (+ (get "n" 0) 1))
    (condition (>= $n ${variant}))
    (repeat :times -1 (success))))
`;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface BenchDevResult {
  samples: number;
  intervalMs: number;
  saveToTickP50Ms: number;
  saveToTickP99Ms: number;
  cpus: number;
  loadAvg: number;
  node: string;
}

/** Runs the benchmark on its own stack; prints its lines, returns the figures (also `bench:stack`'s). */
export async function benchDev(): Promise<BenchDevResult> {
  const stack = await startStack({ label: 'bench-dev', history: false, logLevel: 'warn' });
  const nc = await connect({ servers: stack.infra.nats.url });
  const file = join(mkdtempSync(join(tmpdir(), 'canopy-bench-dev-')), 'tree.lisp');
  writeFileSync(file, source(0));
  const cli = spawn(
    process.execPath,
    [
      join(__dirname, '../../apps/cli/bin/canopy.js'),
      'dev',
      file,
      '--gateway',
      stack.gateway.url,
      '--id',
      ID,
      '--interval-ms',
      String(INTERVAL_MS),
      '--policy',
      'swap-now',
      '--events',
      'tree_reloaded',
    ],
    // The CLI's credentials, as a user exports them after `npm start`.
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CANOPY_API_KEY: TEST_ADMIN_KEY } },
  );
  try {
    // Versions by when their first record arrived; `v1` first, then one per save.
    const firstSeen = new Map<number, number>();
    let waiting: { version: number; resolve(at: number): void } | undefined;
    const sub = nc.subscribe(Subjects.ticks(ID));
    void (async () => {
      for await (const m of sub) {
        const at = performance.now();
        const { version } = m.json<TickRecordMessage>();
        if (!firstSeen.has(version)) firstSeen.set(version, at);
        if (waiting && version === waiting.version) waiting.resolve(at);
      }
    })();
    const seen = (version: number) =>
      firstSeen.get(version) ??
      new Promise<number>((resolve) => {
        waiting = { version, resolve };
      });
    const exited = new Promise<never>((_, reject) =>
      cli.once('exit', (code) => reject(new Error(`canopy dev exited (${code})`))),
    );
    // Saves count once dev watches the file, which it does before it shows the live stream.
    let out = '';
    const attached = new Promise<void>((resolve) => {
      cli.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(`execution ${ID}: tree`)) resolve();
      });
    });
    await Promise.race([Promise.all([seen(1), attached]), exited]);

    const samples: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const version = i + 2;
      const t0 = performance.now();
      writeFileSync(file, source((i % 2) + 1));
      const at = await Promise.race([seen(version), exited]);
      waiting = undefined;
      if (i >= WARMUP) samples.push(at - t0);
    }
    sub.unsubscribe();
    samples.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    const result = {
      samples: SAMPLES,
      intervalMs: INTERVAL_MS,
      saveToTickP50Ms: round(percentile(samples, 0.5)),
      saveToTickP99Ms: round(percentile(samples, 0.99)),
      cpus: cpus().length,
      loadAvg: round(loadavg()[0]),
      node: process.version,
    };
    console.log(`canopy dev, ${SAMPLES} saves (interval ${INTERVAL_MS} ms, one runner, load avg ${result.loadAvg}):`);
    console.log(`  file saved -> first record of the saved tree   p50 ${result.saveToTickP50Ms} ms, p99 ${result.saveToTickP99Ms} ms`);
    return result;
  } finally {
    if (cli.exitCode === null) {
      cli.kill('SIGINT');
      await new Promise((resolve) => cli.once('exit', resolve));
    }
    await nc.close();
    await stack.dispose();
  }
}

if (require.main === module) {
  benchDev().then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
