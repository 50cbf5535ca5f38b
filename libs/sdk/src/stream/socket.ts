/**
 * One open connection to `GET /executions/:id/ws` as followExecution uses it, whatever carries it:
 * the `ws` package on Node (ws-socket.ts) or a WHATWG WebSocket (browser-socket.ts: browsers, and
 * Node 22's global one). Kept to what both can do, so the following logic exists once.
 */
export interface StreamSocket {
  /**
   * Starts delivery: the messages that arrived since the upgrade (the gateway sends the snapshot
   * at once, often before the caller could listen) first, then each as it comes; `onClose` once.
   */
  listen(onText: (text: string) => void, onClose: (code: number) => void): void;
  /** A client message (docs/streams.md: `{"action":"snapshot"}`, `{"action":"subscribe",...}`). */
  send(text: string): void;
  close(code?: number): void;
}

/**
 * Opens a connection; a refusal that will not change (an HTTP 4xx instead of the upgrade) is a
 * CanopyError, anything else (nothing answered, a 5xx) a CanopyUnreachable or a 5xx CanopyError.
 */
export type OpenStream = (url: string) => Promise<StreamSocket>;

/** Holds what arrives before `listen` and hands it over. */
export class EarlyBuffer {
  private texts: string[] = [];
  private closedWith: number | undefined;
  private onText: ((text: string) => void) | undefined;
  private onClose: ((code: number) => void) | undefined;

  text(text: string): void {
    if (this.onText) this.onText(text);
    else this.texts.push(text);
  }

  closed(code: number): void {
    if (this.onClose) this.onClose(code);
    else this.closedWith ??= code;
  }

  listen(onText: (text: string) => void, onClose: (code: number) => void): void {
    for (const text of this.texts.splice(0)) onText(text);
    this.onText = onText;
    this.onClose = onClose;
    if (this.closedWith !== undefined) onClose(this.closedWith);
  }
}
