// The WHATWG WebSocket (browsers; Node 22's global; the `ws` package's class has the same API).
import { type CanopyClient, unwrap } from '../rest/client';
import { CanopyUnreachable } from '../rest/errors';
import { EarlyBuffer, type OpenStream } from './socket';

/**
 * What followExecution uses of a WHATWG WebSocket. The handlers take `never` so that any
 * implementation's own event types fit (the DOM's, undici's, the `ws` package's).
 */
export interface WebSocketLike {
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** The subprotocol the gateway accepts a credential in (apps/gateway/src/auth/authenticator.ts). */
export const BEARER_PROTOCOL_PREFIX = 'canopy.bearer.';

/**
 * Connections through a WHATWG WebSocket. It cannot set headers, so the credential goes in the
 * `canopy.bearer.<key>` subprotocol (never in the URL, where access logs would keep it). It does
 * not show the HTTP answer of a refused upgrade either: when the socket closes before opening,
 * `GET /executions/:id` says why (401, 403, 404 as a CanopyError; nothing answering as
 * CanopyUnreachable); when that route answers, the refusal counts as passing (a full stream quota,
 * a restarting gateway) and is retried.
 */
export function browserStream(
  client: CanopyClient,
  WebSocketImpl: WebSocketConstructor,
  execId: string,
): OpenStream {
  return (url) =>
    new Promise((resolve, reject) => {
      const key = client.credential();
      const socket = new WebSocketImpl(
        url,
        key ? ['canopy', `${BEARER_PROTOCOL_PREFIX}${key}`] : ['canopy'],
      );
      const early = new EarlyBuffer();
      let opened = false;
      socket.onmessage = (event: { data: unknown }) => early.text(String(event.data));
      socket.onopen = () => {
        opened = true;
        resolve({
          listen: (onText, onClose) => early.listen(onText, onClose),
          send: (text) => socket.send(text),
          close: (code) => socket.close(code),
        });
      };
      socket.onerror = () => undefined; // the close event that follows says what happened
      socket.onclose = (event: { code: number }) => {
        if (opened) return early.closed(event.code);
        refusal(client, execId, event.code).then(reject, reject);
      };
    });
}

async function refusal(client: CanopyClient, execId: string, code: number): Promise<Error> {
  // unwrap throws the route's CanopyError (401, 403, 404) or CanopyUnreachable: that is the answer.
  await unwrap(client.rest.GET('/executions/{id}', { params: { path: { id: execId } } }));
  return new CanopyUnreachable(client.baseUrl, `stream refused (close code ${code})`);
}
