import { get, type IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { authHeaders } from '@canopy/testing';

/** A message of a live stream: an EventEnvelope or a gateway message (snapshot, dropped, ...). */
export interface StreamMessage {
  type: string;
  execId: string;
  tick: number;
  seq: number;
  at: string;
  data: Record<string, unknown> & { count?: number };
  /** SSE only: the `id:` of the frame. */
  id?: string;
}

/** Everything a client received, with a way to wait for what has not arrived yet. */
export class Inbox {
  readonly messages: StreamMessage[] = [];
  private readonly waiters = new Set<() => void>();

  push(message: StreamMessage): void {
    this.messages.push(message);
    for (const check of [...this.waiters]) check();
  }

  types(): string[] {
    return this.messages.map((m) => m.type);
  }

  /** Resolves once `done(messages)` holds; rejects after the timeout, listing what came. */
  until(
    what: string,
    done: (messages: StreamMessage[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.messages)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${this.types().join(', ')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the first message matching `match` and returns it. */
  async first(
    what: string,
    match: (m: StreamMessage) => boolean,
    timeoutMs?: number,
  ): Promise<StreamMessage> {
    await this.until(what, (messages) => messages.some(match), timeoutMs);
    return this.messages.find(match) as StreamMessage;
  }
}

export interface WsClient {
  ws: WebSocket;
  inbox: Inbox;
  send(message: unknown): void;
  close(): Promise<void>;
}

/** Opens a WebSocket and collects its JSON messages; rejects with the HTTP status if refused. */
export function openWs(
  url: string,
  headers: Record<string, string> = authHeaders(),
  protocols: string[] = [],
): Promise<WsClient> {
  const ws = new WebSocket(url, protocols, { maxPayload: 256 * 1024 * 1024, headers });
  const inbox = new Inbox();
  ws.on('message', (data) => inbox.push(JSON.parse(String(data)) as StreamMessage));
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        inbox,
        send: (message) => ws.send(JSON.stringify(message)),
        close: () =>
          new Promise<void>((done) => {
            if (ws.readyState === WebSocket.CLOSED) return done();
            ws.once('close', () => done());
            ws.close();
          }),
      }),
    );
    ws.once('unexpected-response', (_req, res) => reject(new RefusedError(res)));
    ws.once('error', reject);
  });
}

/** An upgrade answered with an HTTP response instead; `body()` is its JSON. */
export class RefusedError extends Error {
  constructor(readonly response: IncomingMessage) {
    super(`upgrade refused with ${response.statusCode}`);
  }

  get status(): number | undefined {
    return this.response.statusCode;
  }

  body(): Promise<{ error: { code: string; message: string } }> {
    return readJson(this.response);
  }
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  inbox: Inbox;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/**
 * A Server-Sent Events client on plain node:http: frames end at a blank line, `data:` lines hold
 * the JSON, `id:` the frame id, lines starting with `:` are comments.
 */
export function openSse(
  url: string,
  headers: Record<string, string> = authHeaders(),
): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const inbox = new Inbox();
      const ended = new Promise<void>((done) => res.once('end', done));
      if (res.statusCode === 200) {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = frame.split('\n').filter((l) => !l.startsWith(':'));
            const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
            if (data.length === 0) continue;
            const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
            inbox.push({ ...(JSON.parse(data.join('\n')) as StreamMessage), id });
          }
        });
      }
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        inbox,
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}

export async function readJson<T>(res: IncomingMessage): Promise<T> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk;
  return JSON.parse(text) as T;
}
