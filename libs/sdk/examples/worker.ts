/**
 * A tiny action worker for the robot examples: `move-to` and `charge` take a while and stop as
 * soon as the runner cancels them (the node was halted, e.g. by a reactive sequence).
 *
 *   NATS_URL=nats://127.0.0.1:4222 node -r @swc-node/register libs/sdk/examples/worker.ts
 */
// Outside this repository: import { ActionWorker } from '@canopy/sdk';
import { ActionWorker } from '../src';

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const numberArg = (value: unknown, fallback: number): number =>
  typeof value === 'number' ? value : fallback;

async function main(): Promise<void> {
  const worker = new ActionWorker({ natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });

  await worker.register('move-to', async (args, { signal, execId, nodeId }) => {
    const target = typeof args.target === 'string' ? args.target : 'somewhere';
    console.log(`[${execId} ${nodeId}] moving to ${target}`);
    await sleep(numberArg(args.ms, 500), signal);
    console.log(`[${execId} ${nodeId}] arrived at ${target}`);
    return 'SUCCESS';
  });

  await worker.register('charge', async (args, { signal, execId }) => {
    // Charges in steps of 10% so a cancel stops it between steps.
    const to = numberArg(args.to, 100);
    for (let level = numberArg(args.from, 0); level < to; level += 10) {
      await sleep(numberArg(args.stepMs, 100), signal);
      console.log(`[${execId}] battery ${Math.min(level + 10, to)}%`);
    }
    return true;
  });

  console.log('worker ready: move-to, charge');
  const stop = (): void => {
    console.log('draining');
    void worker.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
