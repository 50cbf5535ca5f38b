/**
 * Registers examples/robot-patrol.lisp, runs it on an interval and prints its ticks until it
 * completes, through the gateway, surviving gateway restarts (missed ticks come from history).
 *
 *   CANOPY_API_KEY=cnpy_… node -r @swc-node/register libs/sdk/examples/follow.ts
 */
// Outside this repository: import { ... } from '@canopy/sdk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CanopyClient, CanopyError, followExecution, unwrap } from '../src';

async function main(): Promise<void> {
  const canopy = new CanopyClient({
    baseUrl: process.env.CANOPY_GATEWAY_URL ?? 'http://127.0.0.1:3000',
    apiKey: process.env.CANOPY_API_KEY,
  });
  const source = readFileSync(join(__dirname, '../../../examples/robot-patrol.lisp'), 'utf8');
  const tree = await unwrap(
    canopy.rest.POST('/trees', { body: { source, file: 'robot-patrol.lisp' } }),
  );
  const run = await unwrap(
    canopy.rest.POST('/executions', {
      body: { tree: tree.name, blackboard: { battery: 30 }, mode: 'interval', intervalMs: 200 },
    }),
  );
  console.log(`execution ${run.id} of ${tree.name} v${tree.version}`);
  await followExecution(canopy, {
    execId: run.id,
    events: ['tick_complete', 'log'],
    untilTerminal: true,
    onMessage: (m) => {
      if (m.type === 'tick_complete') console.log(`#${m.tick} ${m.data.status}`);
      else if (m.type === 'log') console.log(`#${m.tick} ${m.data.message}`);
      else if (m.type === 'history_tick') console.log(`#${m.tick} ${m.data.status} (from history)`);
    },
    onNotice: (n) => console.error(n.text),
  });
}

main().catch((error: unknown) => {
  console.error(
    error instanceof CanopyError ? `${error.status} ${error.code}: ${error.message}` : error,
  );
  process.exit(1);
});
