import { readFileSync } from 'node:fs';
import { pollUntil, startStack, type Stack, TEST_ADMIN_KEY } from '@canopy/testing';
import { WebSocket as WsWebSocket } from 'ws';
import { CanopyClient, followExecution, type StreamMessage, unwrap } from '../src/rest';

/** Small on purpose: a reader that stops reading is skipped after a few events. */
const QUEUE_LIMIT = 20;
const BUFFER_BYTES = 16 * 1024;
const SEED_BYTES = 128 * 1024;

/** Each tick writes `blob` (SEED_BYTES and more): its blackboard_update alone carries two of them. */
const BLOB = `(tree "sdk-blob"
  (sequence :id "root"
    (set "blob" (str (tick) $seed))
    (log "blob" $blob)))
`;

/** Bytes a receiver's kernel buffers can hold at most (what a reader that stops reading absorbs). */
function kernelBufferBytes(): number {
  const max = (file: string) => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
    } catch {
      return Number.NaN;
    }
  };
  const total = max('/proc/sys/net/ipv4/tcp_rmem') + max('/proc/sys/net/ipv4/tcp_wmem');
  return Number.isFinite(total) ? total : 64 * 1024 * 1024;
}

const snapshotTick = (m: StreamMessage) =>
  (m.data as { execution: { tick: number } }).execution.tick;

/** A stack whose gateway queues little per client, and readers that stop reading (`ws` pause). */
describe('a slow reader of the live stream (resyncOnDrop)', () => {
  let stack: Stack;
  let client: CanopyClient;

  beforeAll(async () => {
    stack = await startStack({
      label: 'sdk-slow',
      history: false,
      env: {
        gateway: {
          STREAM_QUEUE_LIMIT: String(QUEUE_LIMIT),
          STREAM_BUFFER_BYTES: String(BUFFER_BYTES),
          // A reader that stops reading must not be dropped by the heartbeat during the test.
          STREAM_HEARTBEAT_MS: '600000',
        },
      },
    });
    client = new CanopyClient({ baseUrl: stack.gateway.url, apiKey: TEST_ADMIN_KEY });
    await unwrap(client.rest.POST('/trees', { body: { source: BLOB } }));
  });

  afterAll(() => stack?.dispose());

  it('asks for one fresh snapshot after the gateway skipped events; without the option, only the marker', async () => {
    const id = 'sdk-slow';
    await unwrap(
      client.rest.POST('/executions', {
        body: { tree: 'sdk-blob', id, blackboard: { seed: 'x'.repeat(SEED_BYTES) } },
      }),
    );
    const sockets: WsWebSocket[] = [];
    class PausableSocket extends WsWebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    const reader = (resyncOnDrop: boolean) => {
      const messages: StreamMessage[] = [];
      const stop = new AbortController();
      const done = followExecution(client, {
        execId: id,
        resyncOnDrop,
        fillGaps: false,
        signal: stop.signal,
        WebSocket: PausableSocket,
        onMessage: (m) => void messages.push(m),
      });
      return { messages, stop, done };
    };
    const resyncing = reader(true);
    const plain = reader(false);
    for (const r of [resyncing, plain]) {
      await pollUntil('the first snapshot', async () => r.messages.length > 0, {
        timeoutMs: 10_000,
      });
      expect(r.messages[0].type).toBe('snapshot');
    }
    expect(sockets).toHaveLength(2);
    // Stop reading: the TCP window fills, then the gateway's buffer, then its queue.
    for (const s of sockets) s.pause();
    // More than the kernel buffers can hold (each tick sends over SEED_BYTES), the queue on top.
    const ticks = Math.ceil((kernelBufferBytes() + BUFFER_BYTES) / SEED_BYTES) + 2 * QUEUE_LIMIT;
    let last = 0;
    while (last < ticks) {
      const count = Math.min(10, ticks - last);
      last = (
        await unwrap(
          client.rest.POST('/executions/{id}/tick', { params: { path: { id } }, body: { count } }),
        )
      ).tick;
    }
    expect(last).toBe(ticks);
    for (const s of sockets) s.resume();

    // The reader with resyncOnDrop: the marker, then a snapshot of the execution as it is now.
    await pollUntil(
      'a second snapshot',
      async () => resyncing.messages.filter((m) => m.type === 'snapshot').length === 2,
      { timeoutMs: 60_000 },
    );
    const firstDrop = resyncing.messages.findIndex((m) => m.type === 'dropped');
    const resync = resyncing.messages.findIndex((m, i) => i > 0 && m.type === 'snapshot');
    expect(firstDrop).toBeGreaterThan(0);
    expect(resync).toBeGreaterThan(firstDrop);
    expect(snapshotTick(resyncing.messages[resync])).toBe(last);
    // The reader without it: the marker, and the events after it up to the last tick; no snapshot.
    await pollUntil(
      'the last tick',
      async () => plain.messages.some((m) => m.type === 'tick_complete' && m.tick === last),
      { timeoutMs: 60_000 },
    );
    expect(plain.messages.some((m) => m.type === 'dropped')).toBe(true);
    expect(plain.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1);

    // One request at a time: every marker before the fresh snapshot arrived shares it, and no
    // marker came after it (nothing ticked), so no third snapshot comes either. Ticking once more
    // shows the reader is still live and asked nothing more.
    const next = (
      await unwrap(
        client.rest.POST('/executions/{id}/tick', { params: { path: { id } }, body: { count: 1 } }),
      )
    ).tick;
    await pollUntil(
      'the next tick',
      async () => resyncing.messages.some((m) => m.type === 'tick_complete' && m.tick === next),
      { timeoutMs: 10_000 },
    );
    expect(resyncing.messages.filter((m) => m.type === 'snapshot')).toHaveLength(2);
    expect(resyncing.messages.slice(resync).some((m) => m.type === 'dropped')).toBe(false);

    for (const r of [resyncing, plain]) r.stop.abort();
    expect(await resyncing.done).toBe('interrupted');
    expect(await plain.done).toBe('interrupted');
  });
});
