/**
 * Studio's timing goals, measured (docs/performance.md, "Studio"): a 202-node tree whose statuses
 * flip on every tick, run at 10 Hz with all boxes on screen, in Debian's Chromium against a real
 * stack. Reports the long tasks the page's own PerformanceObserver sees, and what they are from a
 * Chromium trace of the same window (scripting vs. style/layout/paint, wall vs. thread time: a
 * task whose thread time is much shorter than its wall time was waiting for a core).
 *
 *   npm run bench:studio
 *
 * STUDIO_BENCH_RUNS (default 1); STUDIO_BENCH_TRACE=path keeps each run's trace, =0 measures
 * without tracing; STUDIO_BENCH_PROFILE=path writes a CPU profile; STUDIO_BENCH_DIST=dir serves
 * that Studio build instead of building this one.
 *
 * Exits non-zero when a run has a main-thread task over 50 ms (the goal). The last line is JSON.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { GatewayApi, startStack, TEST_ADMIN_KEY } from '@canopy/testing';
import type { Page } from 'playwright-core';
import { ensureStudioBuilt, launchChromium } from './browser';
import { flippingTree } from './trees';
import { summarizeTrace, TRACE_CATEGORIES, type TraceSummary } from './trace';

const RUNS = Number(process.env.STUDIO_BENCH_RUNS ?? 1);
/** Tracing costs the page time too: STUDIO_BENCH_TRACE=0 measures with the observer only. */
const TRACE = process.env.STUDIO_BENCH_TRACE !== '0';
const TICKS = 50;
const GOAL_MS = 50;

interface RunResult {
  run: number;
  loadAvg: number;
  windowMs: number;
  ticks: number;
  longTasks: number[];
  trace?: TraceSummary;
}

async function waitTick(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    (t) => Number(/tick (\d+)/.exec(document.querySelector('[data-testid="exec-tick"]')?.textContent ?? '')?.[1] ?? 0) >= t,
    n,
    { timeout: 120_000, polling: 50 },
  );
}

async function main(): Promise<void> {
  // STUDIO_BENCH_DIST=dir serves another build (an older one, to compare back to back).
  const dist = process.env.STUDIO_BENCH_DIST;
  if (!dist) ensureStudioBuilt();
  const stack = await startStack({ label: 'bench-studio', logLevel: 'warn', env: dist ? { gateway: { STUDIO_DIR: dist } } : undefined });
  const browser = await launchChromium();
  const results: RunResult[] = [];
  try {
    const api = new GatewayApi(stack.gateway.url);
    await api.registerTree(flippingTree('flip-200', 50));
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${stack.gateway.url}/studio#key=${TEST_ADMIN_KEY}`);
    await page.getByRole('table').waitFor();
    for (let run = 1; run <= RUNS; run++) {
      const id = `flip-200-${run}`;
      await api.createExecution({ tree: 'flip-200', id });
      await page.goto(`${stack.gateway.url}/studio/executions/${id}`);
      await page.locator('.bt-node[data-node-id="root"]').waitFor();
      await page.getByRole('button', { name: 'Expand all' }).click();
      await page.getByRole('button', { name: 'Fit all' }).click();
      await page.locator('.bt-node[data-node-id="0.50.0.0"]').waitFor();
      const boxes = await page.locator('.bt-node').count();
      if (boxes !== 202) throw new Error(`expected 202 boxes in the DOM, found ${boxes}`);
      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => w.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
      });
      if (TRACE)
        await browser.startTracing(page, { categories: TRACE_CATEGORIES });
      // STUDIO_BENCH_PROFILE=path: a CPU profile of the window too (self time by function).
      const profiler = process.env.STUDIO_BENCH_PROFILE ? await page.context().newCDPSession(page) : undefined;
      if (profiler) {
        await profiler.send('Profiler.enable');
        await profiler.send('Profiler.setSamplingInterval', { interval: 250 });
        await profiler.send('Profiler.start');
      }
      const started = await page.evaluate(() => performance.now());
      await api.request('POST', `/executions/${id}/start`, { mode: 'interval', intervalMs: 100 });
      await waitTick(page, TICKS);
      const seen = await page.evaluate((t0) => {
        const w = window as unknown as { longTasks: number[] };
        // Animations running at the end (each one makes the renderer produce frames on its own).
        const animations = document
          .getAnimations()
          .map((a) => `${a.constructor.name}:${(a as CSSTransition).transitionProperty ?? (a as CSSAnimation).animationName ?? ''}`);
        return { windowMs: performance.now() - t0, longTasks: w.longTasks, animations };
      }, started);
      if (seen.animations.length > 0) console.log(`  running animations: ${seen.animations.join(', ')}`);
      const trace = TRACE ? await browser.stopTracing() : undefined;
      if (profiler) {
        const { profile } = await profiler.send('Profiler.stop');
        writeFileSync(`${process.env.STUDIO_BENCH_PROFILE}.${run}.cpuprofile`, JSON.stringify(profile));
      }
      await api.request('POST', `/executions/${id}/stop`);
      if (trace && process.env.STUDIO_BENCH_TRACE && TRACE) writeFileSync(`${process.env.STUDIO_BENCH_TRACE}.${run}.json`, trace);
      const result: RunResult = {
        run,
        loadAvg: Number(loadavg()[0].toFixed(2)),
        windowMs: Math.round(seen.windowMs),
        ticks: TICKS,
        longTasks: seen.longTasks.map(Math.round),
        trace: trace ? summarizeTrace(trace.toString('utf8'), GOAL_MS) : undefined,
      };
      results.push(result);
      const t = result.trace;
      console.log(
        `studio perf: run ${run} load ${result.loadAvg} (${cpus().length} cores): 202 nodes at 10 Hz for ${result.windowMs} ms: ` +
          `${result.longTasks.length} tasks over ${GOAL_MS} ms (observer), longest ${Math.max(0, ...result.longTasks)} ms` +
          (t
            ? `; trace: ${t.tasks} main-thread tasks, ${t.long.length} over ${GOAL_MS} ms; main thread busy ${t.busyMs} ms wall / ` +
              `${t.busyCpuMs} ms cpu, ${t.frames} frames; self time by kind, wall ${JSON.stringify(t.byKind)}, cpu ${JSON.stringify(t.cpuByKind)}`
            : ''),
      );
      for (const task of t?.long ?? []) console.log(`  long task ${JSON.stringify(task)}`);
    }
  } finally {
    await browser.close();
    await stack.dispose();
  }
  console.log(JSON.stringify(results.map((r) => ({ ...r, trace: r.trace && { ...r.trace, long: r.trace.long.length } }))));
  if (results.some((r) => r.longTasks.length > 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
