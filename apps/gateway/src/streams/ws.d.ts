/**
 * The part of `ws` 8 that the gateway and its tests use. `ws` ships no types and `@types/ws` is
 * not installed; @fastify/websocket's types import this module, so its handlers are typed by it too.
 */
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  import type { ClientRequest, IncomingMessage } from 'node:http';

  type RawData = Buffer | ArrayBuffer | Buffer[];

  interface ClientOptions {
    headers?: Record<string, string>;
    /** Largest message accepted, in bytes. */
    maxPayload?: number;
  }

  interface ServerOptions {
    maxPayload?: number;
    perMessageDeflate?: boolean;
  }

  class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    constructor(address: string, options?: ClientOptions);
    readonly readyState: 0 | 1 | 2 | 3;
    /** Bytes queued by send() that the socket has not written yet. */
    readonly bufferedAmount: number;
    send(data: string | Buffer, cb?: (error?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    ping(data?: unknown, mask?: boolean, cb?: (error?: Error) => void): void;
    /** Stops reading from the socket (the peer's writes back up), until resume(). */
    pause(): void;
    resume(): void;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'open' | 'pong' | 'ping', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(
      event: 'unexpected-response',
      listener: (request: ClientRequest, response: IncomingMessage) => void,
    ): this;
    once(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    once(event: 'open' | 'pong' | 'ping', listener: () => void): this;
    once(event: 'error', listener: (error: Error) => void): this;
    once(
      event: 'unexpected-response',
      listener: (request: ClientRequest, response: IncomingMessage) => void,
    ): this;
  }

  class WebSocketServer extends EventEmitter {
    readonly clients: Set<WebSocket>;
    close(cb?: (error?: Error) => void): void;
  }

  export {
    type ClientOptions,
    type RawData,
    type ServerOptions,
    WebSocket,
    WebSocketServer,
    WebSocketServer as Server,
  };
  export default WebSocket;
}
