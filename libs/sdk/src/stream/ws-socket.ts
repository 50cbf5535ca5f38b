// Node only (the `ws` package): the root entry's default transport. Not part of @canopy/sdk/rest.
import { type RawData, WebSocket } from 'ws';
import type { CanopyClient } from '../rest/client';
import { CanopyUnreachable, errorOf, reasonOf } from '../rest/errors';
import { EarlyBuffer, type OpenStream } from './socket';

/**
 * Connections with the client's credentials as headers. An HTTP answer instead of the upgrade
 * (400, 401, 404, 503) is a CanopyError with the gateway's error body.
 */
export function wsStream(client: CanopyClient): OpenStream {
  return (url) =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        handshakeTimeout: 15_000,
        headers: client.authHeaders(),
      });
      const early = new EarlyBuffer();
      socket.on('message', (data: RawData) => early.text(data.toString()));
      socket.on('close', (code) => early.closed(code));
      socket.once('open', () =>
        resolve({
          listen: (onText, onClose) => early.listen(onText, onClose),
          send: (text) => socket.send(text),
          close: (code) => socket.close(code),
        }),
      );
      socket.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          reject(errorOf(res.statusCode ?? 0, res.statusMessage ?? '', body));
        });
      });
      // Settles nothing once open (the close that follows does); kept so an error never throws.
      socket.on('error', (error) => reject(new CanopyUnreachable(client.baseUrl, reasonOf(error))));
    });
}
