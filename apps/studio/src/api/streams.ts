// Live streams (docs/streams.md). Browsers cannot set headers on a WebSocket: the key goes in the
// `canopy.bearer.<key>` subprotocol (never in the URL, so no access log holds it).
import { currentKey } from './client';
import type { StreamEvent } from './types';

export interface LiveStream {
  close(): void;
}

export interface StreamHandlers {
  onMessage(event: StreamEvent): void;
  /** open: receiving; closed: gave up or lost (the caller decides whether to poll). */
  onState?(state: 'open' | 'closed'): void;
}

function wsUrl(path: string): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}`;
}

function open(path: string, handlers: StreamHandlers, reconnect: boolean): LiveStream {
  let socket: WebSocket | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const connect = () => {
    const key = currentKey();
    socket = new WebSocket(wsUrl(path), key ? ['canopy', `canopy.bearer.${key}`] : ['canopy']);
    socket.onopen = () => {
      failures = 0;
      handlers.onState?.('open');
    };
    socket.onmessage = (m) => handlers.onMessage(JSON.parse(String(m.data)) as StreamEvent);
    socket.onclose = () => {
      handlers.onState?.('closed');
      if (closed || !reconnect) return;
      // Back off up to 5 s; a reconnect gets a fresh snapshot (no replay, docs/streams.md).
      failures += 1;
      retry = setTimeout(connect, Math.min(5000, 250 * 2 ** failures));
    };
  };
  connect();
  return {
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      socket?.close();
    },
  };
}

/** One execution's events: a `snapshot` first, then `node_update`, `tick_complete`, ... */
export function executionStream(id: string, handlers: StreamHandlers): LiveStream {
  return open(`/executions/${encodeURIComponent(id)}/ws`, handlers, true);
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

export function allExecutionsStream(handlers: StreamHandlers): LiveStream {
  return open(`/ws?events=${ALL_EXECUTIONS_EVENTS.join(',')}`, handlers, false);
}
