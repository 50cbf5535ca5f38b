import { get } from 'node:http';
import { connect } from 'node:net';

const PROBE_TIMEOUT_MS = 1000;

/** True when GET http://127.0.0.1:<port><path> answers 200. */
export function httpOk(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

/**
 * True when a Redis server on the port answers PING with PONG (not LOADING while it replays the
 * AOF), or with NOAUTH (its `default` user has a password: it answers, and clients that log in
 * wait out a replay themselves, as ioredis's ready check does).
 */
export function redisPong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // NOAUTH: the server answers, but only logged-in clients (the deployments' `default` user
      // has a password): it is up.
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}
