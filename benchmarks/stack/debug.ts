/**
 * Debugger benchmark: how long after a breakpoint stops a tick does a client of the WebSocket see
 * it. The stack runs as processes (blackboard, one tick runner, gateway, no history) on spawned
 * nats-server and redis-server. One manual execution has a breakpoint in the middle of its tree;
 * each sample POSTs a tick (which stops there), waits for `breakpoint_hit` on the execution's
 * WebSocket, then continues the tick.
 *
 * Reported, per sample: tick request sent -> `breakpoint_hit` received on the WebSocket (the whole
 * path: gateway, NATS, runner slot, engine pause, the pause's commit in Redis, the event, the
 * gateway's stream), and the event's own `at` (stamped by the runner when it publishes) ->
 * received. The last line printed is JSON.
 *
 *   npm run bench:debug            (BENCH_DEBUG_SAMPLES, default 300)
 */
import { cpus, loadavg } from 'node:os';
import type { Breakpoint, EventEnvelope } from '@canopy/contracts';
import { authHeaders, GatewayApi, startStack } from '@canopy/testing';
import { WebSocket } from 'ws';

const SAMPLES = Number(process.env.BENCH_DEBUG_SAMPLES ?? 300);
const WARMUP = 20;
const TREE = `(tree "bench-debug"
  (sequence
    (set "n" (+ (get "n" 0) 1))
    (condition (>= $n 0))
    (set "m" (+ (get "m" 0) 1))))`;

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<void> {
  const stack = await startStack({ label: 'bench-debug', history: false, logLevel: 'warn' });
  try {
    const api = new GatewayApi(stack.gateway.url);
    await api.registerTree(TREE);
    await api.createExecution({ tree: 'bench-debug', id: 'dbg' });
    await api.ok(api.post<Breakpoint>('/executions/dbg/breakpoints', { nodeId: '0.1' }), 201);

    const ws = new WebSocket(`${stack.gateway.url.replace('http', 'ws')}/executions/dbg/ws`, {
      headers: authHeaders(),
    });
    let waiting: ((e: EventEnvelope, receivedAt: number) => void) | undefined;
    ws.on('message', (raw) => {
      const receivedAt = Date.now();
      const event = JSON.parse(String(raw)) as EventEnvelope;
      if (event.type === 'breakpoint_hit') waiting?.(event, receivedAt);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    const total: number[] = [];
    const fromPublish: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const hit = new Promise<{ event: EventEnvelope; receivedAt: number }>((resolve) => {
        waiting = (event, receivedAt) => resolve({ event, receivedAt });
      });
      const t0 = performance.now();
      const sentAt = Date.now();
      const tick = api.ok(api.post('/executions/dbg/tick', { count: 1 }));
      const { event, receivedAt } = await hit;
      const elapsed = performance.now() - t0;
      await tick;
      if (i >= WARMUP) {
        total.push(elapsed);
        fromPublish.push(receivedAt - Date.parse(event.at));
      }
      if (receivedAt < sentAt) throw new Error('clock went back');
      await api.ok(api.post('/executions/dbg/step', { mode: 'continue' }));
    }
    ws.close();
    total.sort((a, b) => a - b);
    fromPublish.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    const result = {
      samples: SAMPLES,
      tickToWsP50Ms: round(percentile(total, 0.5)),
      tickToWsP99Ms: round(percentile(total, 0.99)),
      publishToWsP50Ms: round(percentile(fromPublish, 0.5)),
      publishToWsP99Ms: round(percentile(fromPublish, 0.99)),
      cpus: cpus().length,
      loadAvg: round(loadavg()[0]),
      node: process.version,
    };
    console.log(
      `breakpoint hit -> WebSocket, ${SAMPLES} samples (one runner, load avg ${result.loadAvg}):`,
    );
    console.log(
      `  tick request sent -> breakpoint_hit received   p50 ${result.tickToWsP50Ms} ms, p99 ${result.tickToWsP99Ms} ms`,
    );
    console.log(
      `  event published (its at) -> received          p50 ${result.publishToWsP50Ms} ms, p99 ${result.publishToWsP99Ms} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await stack.dispose();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
