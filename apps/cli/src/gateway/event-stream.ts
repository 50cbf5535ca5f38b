import { type RawData, WebSocket } from 'ws';
import { errorOf, GatewayClient, GatewayError, GatewayUnreachable, reasonOf } from './client';
import type { StreamMessage } from './format-event';

export const TERMINAL_EVENTS = ['execution_stopped', 'execution_completed'] as const;
const TERMINAL_STATES = new Set(['stopped', 'completed']);
const BACKOFF_MS = { first: 250, max: 5_000 };

export interface FollowOptions {
  client: GatewayClient;
  execId: string;
  /** Event types asked of the gateway (`events=`); all when absent. */
  events?: readonly string[];
  signal: AbortSignal;
  /** Return once the execution is stopped or completed (`tail`); `dev` follows on. */
  untilTerminal: boolean;
  /** Every message, in order, each event once; `raw` is the text the gateway sent. */
  onMessage(message: StreamMessage, raw: string): void;
  /** Connection news for the user (lost, reconnected, what was missed). */
  onNotice(text: string): void;
}

export type FollowEnd = 'terminal' | 'interrupted';

/**
 * Follows an execution's live stream over the gateway's WebSocket (docs/streams.md). When the
 * connection drops it connects again, with backoff, for as long as it takes; the gateway has no
 * replay, so the new connection starts with a fresh snapshot and the events it already showed are
 * skipped by `(tick, seq)`, which orders an execution's events. The first connection's failure
 * (unreachable, 404) is thrown; afterwards only an answer that will not change (a 4xx: the
 * execution was deleted) ends the following.
 */
export async function followEvents(opts: FollowOptions): Promise<FollowEnd> {
  const query: Record<string, string> = {};
  if (opts.events) query['events'] = [...new Set([...opts.events, ...TERMINAL_EVENTS])].join(',');
  const url = opts.client.streamUrl(opts.execId, query);
  let last: { tick: number; seq: number } | undefined;
  let connected = false;
  let failures = 0;
  while (!opts.signal.aborted) {
    let socket: WebSocket;
    let early: RawData[];
    try {
      ({ socket, early } = await open(url, opts.client.baseUrl, opts.client.authHeaders()));
    } catch (error) {
      const lasting = error instanceof GatewayError && error.status < 500;
      if (!connected || lasting) throw error;
      await sleep(Math.min(BACKOFF_MS.first * 2 ** failures++, BACKOFF_MS.max), opts.signal);
      continue;
    }
    const reconnected = connected;
    connected = true;
    failures = 0;
    const end = await new Promise<FollowEnd | 'closed'>((resolve) => {
      let finished = false;
      const finish = (how: FollowEnd | 'closed') => {
        finished = true;
        opts.signal.removeEventListener('abort', interrupt);
        resolve(how);
      };
      const interrupt = () => {
        socket.close(1000);
        finish('interrupted');
      };
      if (opts.signal.aborted) return interrupt();
      opts.signal.addEventListener('abort', interrupt);
      const onMessage = (data: RawData) => {
        if (finished) return;
        const raw = data.toString();
        let message: StreamMessage;
        try {
          message = JSON.parse(raw) as StreamMessage;
        } catch {
          return;
        }
        if (message.type === 'snapshot') {
          const state =
            (message.data?.['execution'] as { state?: string; tick?: number } | undefined) ?? {};
          if (reconnected && last && (state.tick ?? 0) > last.tick) {
            opts.onNotice(
              `reconnected at tick ${state.tick}: ticks ${last.tick + 1}-${state.tick} happened while disconnected (GET /executions/${opts.execId}/history has them)`,
            );
          } else if (reconnected) {
            opts.onNotice('reconnected');
          }
          opts.onMessage(message, raw);
          if (opts.untilTerminal && TERMINAL_STATES.has(state.state ?? '')) {
            socket.close(1000);
            finish('terminal');
          }
          return;
        }
        if (message.seq >= 0) {
          if (
            last &&
            (message.tick < last.tick || (message.tick === last.tick && message.seq <= last.seq))
          )
            return;
          last = { tick: message.tick, seq: message.seq };
        }
        opts.onMessage(message, raw);
        if (opts.untilTerminal && (TERMINAL_EVENTS as readonly string[]).includes(message.type)) {
          socket.close(1000);
          finish('terminal');
        }
      };
      // What arrived with the upgrade, before this listener existed, comes first.
      socket.removeAllListeners('message');
      for (const data of early) onMessage(data);
      socket.on('message', onMessage);
      socket.on('close', (code) => {
        if (finished) return;
        if (opts.signal.aborted) return finish('interrupted');
        opts.onNotice(
          `connection to the gateway lost (${code === 1001 ? 'gateway shutting down' : `code ${code}`}); reconnecting…`,
        );
        finish('closed');
      });
    });
    if (end !== 'closed') return end;
  }
  return 'interrupted';
}

/**
 * Opens the socket; an HTTP answer instead of the upgrade (400, 404, 503) is a GatewayError.
 * The gateway sends the snapshot right after the upgrade, often in the same packet: `ws` then
 * emits it during the 'open' event's turn, before the caller (awaiting this promise) could listen,
 * so messages are kept from the start and handed over with the socket.
 */
function open(
  url: string,
  baseUrl: string,
  headers: Record<string, string>,
): Promise<{ socket: WebSocket; early: RawData[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: 15_000, headers });
    const early: RawData[] = [];
    socket.on('message', (data) => early.push(data));
    socket.once('open', () => resolve({ socket, early }));
    socket.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        reject(errorOf(res.statusCode ?? 0, res.statusMessage ?? '', body));
      });
    });
    // Settles nothing once open; the stream's close handler takes over from there.
    socket.on('error', (error) => reject(new GatewayUnreachable(baseUrl, reasonOf(error))));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
