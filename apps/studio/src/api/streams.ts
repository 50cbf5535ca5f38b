// Live streams (docs/streams.md). Browsers cannot set headers on a WebSocket: the key goes in the
// `canopy.bearer.<key>` subprotocol (never in the URL, so no access log holds it). One execution's
// stream is the SDK's followExecution (@canopy/sdk/rest); the all-executions stream (GET /ws) is
// not an execution's, so it is opened here.
import { followExecution } from '@canopy/sdk/rest';
import { canopy, currentKey } from './client';
import type { StreamEvent } from './types';

export interface LiveStream {
  close(): void;
}

export interface StreamHandlers {
  onMessage(event: StreamEvent): void;
  /** open: receiving; closed: gave up or lost (the caller decides whether to poll). */
  onState?(state: 'open' | 'closed'): void;
}

const BACKOFF_MS = { first: 250, max: 5000 };
const backoff = (failures: number) => Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** failures);

/**
 * One execution's events: a `snapshot` first (again after every reconnect), then `node_update`,
 * `tick_complete`, ... The SDK reconnects by itself once connected; when it gives up (the first
 * connection failed, or a refusal such as a 401 or a deleted execution) Studio starts again with
 * backoff, so a key entered later or a gateway back up is picked up. `fillGaps: false`: the canvas
 * needs the new snapshot, not the missed ticks one by one (the Time travel tab has them), and live
 * events are not held back while history is read. `resyncOnDrop`: when the gateway skipped events
 * for this page (it fell behind), a fresh snapshot puts right the boxes those events would have
 * changed.
 */
export function executionStream(id: string, handlers: StreamHandlers): LiveStream {
  const controller = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const follow = () => {
    followExecution(canopy, {
      execId: id,
      signal: controller.signal,
      fillGaps: false,
      resyncOnDrop: true,
      onMessage: (message) => {
        if (message.type === 'snapshot') {
          failures = 0;
          handlers.onState?.('open');
        }
        handlers.onMessage(message as StreamEvent);
      },
      onNotice: (notice) => {
        if (notice.kind === 'lost') handlers.onState?.('closed');
      },
    }).catch(() => {
      handlers.onState?.('closed');
      if (controller.signal.aborted) return;
      retry = setTimeout(follow, backoff(failures++));
    });
  };
  follow();
  return {
    close() {
      controller.abort();
      if (retry) clearTimeout(retry);
    },
  };
}

function wsUrl(path: string): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}`;
}

/**
 * Lifecycle and progress events of every execution (GET /ws, docs/streams.md "All executions":
 * only these types are on it; a key limited to teams is refused, and the list falls back to
 * polling).
 */
export const ALL_EXECUTIONS_EVENTS = [
  'execution_progress',
  'execution_started',
  'execution_paused',
  'execution_resumed',
  'execution_stopped',
  'execution_completed',
  'tree_reloaded',
];

/** One connection, not reopened: the list polls when it closes (useProgress). */
export function allExecutionsStream(handlers: StreamHandlers): LiveStream {
  const key = currentKey();
  const socket = new WebSocket(
    wsUrl(`/ws?events=${ALL_EXECUTIONS_EVENTS.join(',')}`),
    key ? ['canopy', `canopy.bearer.${key}`] : ['canopy'],
  );
  socket.onopen = () => handlers.onState?.('open');
  socket.onmessage = (m) => handlers.onMessage(JSON.parse(String(m.data)) as StreamEvent);
  socket.onclose = () => handlers.onState?.('closed');
  return { close: () => socket.close() };
}
