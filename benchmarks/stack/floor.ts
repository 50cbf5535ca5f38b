/**
 * The floor of the stack's hops on this machine: what the same I/O costs done by the bare clients
 * (node:http, ioredis, nats.js) with nothing of Canopy around them. `bench:stack` runs it after its
 * own stack is down and prints it beside the stack's figures, as `bench:engine` does with its
 * hand-written walk: a goal below the floor cannot be met by the code on that machine.
 *
 * 1. REST: a client POSTs over keep-alive to a bare HTTP server (process 1), which counts the
 *    request in Redis (one MULTI: the gateway's rate limit) and sends a NATS request to a bare
 *    responder (process 2), which runs one Lua script in Redis (the fenced commit), publishes a
 *    1.4 KB record to a JetStream file stream and waits for its ack, publishes four events to a
 *    memory stream, and replies. Also measured without the stream (reply after the commit) and
 *    without Redis at all (HTTP -> NATS request -> reply), to show where the time goes.
 * 2. I/O per interval tick: one process doing a runner slot's I/O for 64 ticks at a time (one
 *    script call for the 64 commits, then per tick one acknowledged JetStream publish and four
 *    event publishes) and nothing else; its CPU per tick.
 *
 *   node -r @swc-node/register benchmarks/stack/floor.ts     (run alone: prints JSON)
 */
import { fork } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { getFreePort, startNats, startRedis } from '@canopy/testing';
import Redis from 'ioredis';
import { cpuMs } from './processes';

const SAMPLES = Number(process.env.BENCH_FLOOR_SAMPLES ?? 2000);
const WARMUP = 500;
const SLOT = 64;
const IO_TICKS = Number(process.env.BENCH_FLOOR_TICKS ?? 20_000);
/** The runner's commit script touches the meta hash and the outbox of each tick. */
const COMMIT = `for i = 1, #ARGV, 2 do
  redis.call('HSET', KEYS[1] .. ARGV[i], 'tick', ARGV[i + 1], 'state', 'running')
  redis.call('ZADD', KEYS[2] .. ARGV[i], ARGV[i + 1], ARGV[i + 1])
end
return 1`;
const RECORD = JSON.stringify({
  tick: 1,
  status: 'RUNNING',
  nodes: Array.from({ length: 10 }, (_, i) => ({ id: `n${i}`, from: 'IDLE', to: 'SUCCESS' })),
  writes: [{ scope: 'exec', key: 'n', new: 1, old: 0 }],
  checkpoint: { nodes: {} },
  pad: 'x'.repeat(900),
});
const EVENT = JSON.stringify({ execId: 'x', type: 'node_update', tick: 1, seq: 1, at: new Date().toISOString(), data: { nodeId: 'n1', from: 'IDLE', to: 'SUCCESS' } });

export interface FloorResult {
  restFloorP50Ms: number;
  restFloorP99Ms: number;
  restFloorNoStreamP50Ms: number;
  restFloorNatsOnlyP50Ms: number;
  ioFloorUsPerTick: number;
}

type Mode = 'full' | 'no-stream' | 'nats-only';

async function responder(natsUrl: string, redisUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  const redis = new Redis(redisUrl);
  let tick = 0;
  nc.subscribe('floor.cmd.>', {
    callback: (_error: Error | null, msg: Msg) => {
      const mode = msg.subject.split('.')[2] as Mode;
      void (async () => {
        tick++;
        if (mode !== 'nats-only') await redis.eval(COMMIT, 2, 'floor:meta:', 'floor:outbox:', 'x', tick);
        if (mode === 'full') {
          await js.publish('floor.ticks.x', RECORD, { msgID: `x:${tick}` });
          for (let i = 0; i < 4; i++) nc.publish('floor.events.x', EVENT);
        }
        msg.respond(JSON.stringify({ tick, status: 'RUNNING', state: 'running' }));
      })();
    },
  });
  process.send?.('ready');
}

async function server(natsUrl: string, redisUrl: string, port: number): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const redis = new Redis(redisUrl);
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const mode = (req.url ?? '').split('/')[2] as Mode;
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { count: number };
        if (mode !== 'nats-only') await redis.multi().incr('floor:rl').pexpire('floor:rl', 60_000).exec();
        const reply = await nc.request(`floor.cmd.${mode}.x`, JSON.stringify({ type: 'tick', count: body.count }), { timeout: 5000 });
        const text = reply.string();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      })();
    });
  }).listen(port, '127.0.0.1', () => process.send?.('ready'));
}

function post(agent: Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = '{"count":1}';
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function restP(agent: Agent, url: string): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) await post(agent, url);
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await post(agent, url);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(SAMPLES / 2)], p99: times[Math.floor(SAMPLES * 0.99)] };
}

/** A slot's I/O for IO_TICKS ticks in slots of SLOT; the process CPU per tick (µs). */
async function ioFloor(natsUrl: string, redisUrl: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc);
  const redis = new Redis(redisUrl);
  const sha = (await redis.script('LOAD', COMMIT)) as string;
  const run = async (ticks: number, from: number) => {
    for (let t = from; t < from + ticks; t += SLOT) {
      const args: (string | number)[] = [];
      for (let i = 0; i < SLOT; i++) args.push(`e${i}`, t + i);
      await redis.evalsha(sha, 2, 'floor:meta:', 'floor:outbox:', ...args);
      await Promise.all(
        Array.from({ length: SLOT }, async (_, i) => {
          await js.publish(`floor.ticks.e${i}`, RECORD, { msgID: `e${i}:${t + i}` });
          for (let k = 0; k < 4; k++) nc.publish(`floor.events.e${i}`, EVENT);
        }),
      );
    }
  };
  await run(2000, 0);
  const before = cpuMs(process.pid);
  await run(IO_TICKS, 10_000);
  const used = cpuMs(process.pid) - before;
  await nc.close();
  redis.disconnect();
  return (used * 1000) / IO_TICKS;
}

/** Starts its own NATS and Redis (as bench:stack does), runs both parts, stops everything. */
export async function benchFloor(): Promise<FloorResult> {
  const [nats, redis] = await Promise.all([startNats(), startRedis({ appendonly: true })]);
  const children: ReturnType<typeof fork>[] = [];
  const agent = new Agent({ keepAlive: true });
  try {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'FLOOR_TICKS', subjects: ['floor.ticks.>'], storage: StorageType.File, duplicate_window: 120e9 });
    await jsm.streams.add({ name: 'FLOOR_EVENTS', subjects: ['floor.events.>'], storage: StorageType.Memory });
    await nc.close();
    const port = await getFreePort();
    const start = (args: string[]) => {
      const child = fork(__filename, args, { execArgv: ['-r', '@swc-node/register'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) => reject(new Error(`floor ${args[0]} exited (${code})`)));
      });
    };
    await Promise.all([start(['responder', nats.url, redis.url]), start(['server', nats.url, redis.url, String(port)])]);
    const url = (mode: Mode) => `http://127.0.0.1:${port}/floor/${mode}`;
    const full = await restP(agent, url('full'));
    const noStream = await restP(agent, url('no-stream'));
    const natsOnly = await restP(agent, url('nats-only'));
    for (const child of children) child.kill();
    const io = await ioFloor(nats.url, redis.url);
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return {
      restFloorP50Ms: round(full.p50),
      restFloorP99Ms: round(full.p99),
      restFloorNoStreamP50Ms: round(noStream.p50),
      restFloorNatsOnlyP50Ms: round(natsOnly.p50),
      ioFloorUsPerTick: round(io),
    };
  } finally {
    agent.destroy();
    for (const child of children) child.kill();
    await Promise.allSettled([nats.dispose(), redis.dispose()]);
  }
}

const [role, ...args] = process.argv.slice(2);
if (role === 'responder') void responder(args[0], args[1]);
else if (role === 'server') void server(args[0], args[1], Number(args[2]));
else if (require.main === module) {
  benchFloor().then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
