// `npm run soak -- --minutes 60`: an hour (by default) of mixed load on a stack of real processes
// with a fault every few minutes, sampling every process's memory, open fds, the runners' tick lag
// and history's backlog; at the end a verdict on whether they stayed flat. Not part of CI.
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SHARD_COUNT } from '@canopy/contracts';
import { GatewayApi, REPO_ROOT, startStack, waitForShards } from '@canopy/testing';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { FAULTS } from './faults';
import { SoakLoad } from './load';
import { CSV_COLUMNS, csvRow, Sampler } from './sampler';
import { judge, type Sample, TOLERANCE } from './verdict';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'sample-seconds': { type: 'string', default: '30' },
    'fault-every-minutes': { type: 'string', default: '5' },
    'interval-executions': { type: 'string', default: '30' },
    out: { type: 'string', default: join(REPO_ROOT, 'chaos', 'results') },
  },
});
const minutes = Number(args.minutes);
const sampleMs = Number(args['sample-seconds']) * 1000;
const faultEveryMs = Number(args['fault-every-minutes']) * 60_000;

const log = (message: string) =>
  process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(args.out as string, { recursive: true });
  const csv = join(args.out as string, `soak-${stamp}.csv`);
  const summary = join(args.out as string, `soak-${stamp}.json`);
  writeFileSync(csv, `${CSV_COLUMNS.join(',')}\n`);

  log(
    `starting the stack (3 runners, NATS JetStream, Redis AOF) for ${minutes} min, a fault every ${faultEveryMs / 60_000} min`,
  );
  const stack = await startStack({
    label: 'soak',
    runners: 3,
    infra: { redis: { appendonly: true } },
    logLevel: 'warn',
  });
  let nc: NatsConnection | undefined;
  const load = new SoakLoad(new GatewayApi(stack.gateway.url, 10_000), {
    intervalExecutions: Number(args['interval-executions']),
    intervalMs: 100,
    eventExecutions: 4,
    manualExecutions: 3,
  });
  const samples: Sample[] = [];
  const faults: Array<{ at: number; fault: string; tookMs?: number; error?: string }> = [];
  try {
    await waitForShards(stack.runners, DEFAULT_SHARD_COUNT, 60_000);
    const connection: NatsConnection = await connect({
      servers: stack.infra.nats.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    nc = connection;
    await load.start();
    const startedAt = Date.now();
    const sampler = new Sampler(stack, connection, startedAt);
    const endAt = startedAt + minutes * 60_000;
    let nextSample = startedAt;
    let nextFault = startedAt + faultEveryMs;
    let round = 0;
    let faultInWindow: string | undefined;
    const names = Object.keys(FAULTS);
    while (Date.now() < endAt) {
      if (Date.now() >= nextFault) {
        const fault = names[round % names.length];
        const at = Date.now();
        log(`fault ${round + 1}: ${fault}`);
        try {
          await FAULTS[fault](stack, round);
          faults.push({ at: Math.round((at - startedAt) / 1000), fault, tookMs: Date.now() - at });
        } catch (error) {
          faults.push({
            at: Math.round((at - startedAt) / 1000),
            fault,
            error: (error as Error).message,
          });
          log(`fault ${fault} did not recover: ${(error as Error).message}`);
        }
        faultInWindow = fault;
        round++;
        nextFault += faultEveryMs;
      }
      if (Date.now() >= nextSample) {
        const batch = await sampler.sample(faultInWindow);
        faultInWindow = undefined;
        samples.push(...batch);
        for (const s of batch) appendFileSync(csv, `${csvRow(s)}\n`);
        const runners = batch.filter((s) => s.ticksPerSec !== undefined);
        log(
          `t=${batch[0]?.t}s rss MB ${batch.map((s) => `${s.process}:${s.rssMb?.toFixed(0) ?? '-'}`).join(' ')} | ticks/s ${runners
            .reduce((a, s) => a + (s.ticksPerSec ?? 0), 0)
            .toFixed(
              0,
            )} | history backlog ${batch.find((s) => s.process === 'history')?.backlog ?? '-'}`,
        );
        nextSample += sampleMs;
      }
      await sleep(Math.max(50, Math.min(nextSample, nextFault, endAt) - Date.now()));
    }
  } finally {
    await load.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await stack.dispose();
  }

  // The first minute (at most a sixth of the run) is warm-up: executions created, caches filling.
  const judgements = judge(samples, 60);
  const flat = judgements.every((j) => j.flat);
  writeFileSync(
    summary,
    `${JSON.stringify({ minutes, sampleSeconds: sampleMs / 1000, faults, calls: Object.fromEntries(load.calls), tolerance: TOLERANCE, judgements, flat }, null, 2)}\n`,
  );
  log('verdict (median of the first third of the run -> median of the last third):');
  for (const j of judgements) {
    log(
      `  ${j.flat ? 'flat ' : 'GROWS'} ${j.process.padEnd(13)} ${j.metric.padEnd(9)} ${j.first.toFixed(1)} -> ${j.last.toFixed(1)}`,
    );
  }
  log(
    `faults: ${faults.map((f) => `${f.fault}${f.error ? ' (FAILED)' : ` ${((f.tookMs ?? 0) / 1000).toFixed(1)}s`}`).join(', ') || 'none'}`,
  );
  log(`REST calls: ${JSON.stringify(Object.fromEntries(load.calls))}`);
  log(`${flat ? 'FLAT' : 'NOT FLAT'}: samples in ${csv}, summary in ${summary}`);
  return flat ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
