// The following logic, whatever carries the connection (socket.ts): no `ws`, no Node built-ins,
// so it is part of the browser entry too.
import type { EventType } from '@canopy/contracts';
import type { CanopyClient } from '../rest/client';
import { CanopyError } from '../rest/errors';
import { browserStream, type WebSocketConstructor } from './browser-socket';
import { fillFromHistory } from './gap-fill';
import { type StreamMessage, TICK_EVENT_TYPES } from './messages';
import type { OpenStream, StreamSocket } from './socket';

export const TERMINAL_EVENTS = ['execution_stopped', 'execution_completed'] as const;
const TERMINAL_STATES = new Set(['stopped', 'completed']);
const BACKOFF_MS = { first: 250, max: 5_000 };

/** Connection news: `lost` (reconnecting), `reconnected` (with the ticks missed meanwhile). */
export type StreamNotice =
  | { kind: 'lost'; code: number; text: string }
  | { kind: 'reconnected'; missed?: { from: number; to: number }; text: string };

export interface FollowOptions {
  execId: string;
  /** Event types asked of the gateway (`events=`); all when absent. */
  events?: readonly EventType[];
  signal?: AbortSignal;
  /** Return once the execution is stopped or completed; otherwise follow until `signal`. */
  untilTerminal?: boolean;
  /**
   * After a reconnect, deliver the ticks that happened while disconnected from history
   * (`history_tick`, or `gap` for what history cannot give). Default true; false only says so in
   * the `reconnected` notice.
   */
  fillGaps?: boolean;
  /**
   * Resume a follow that an earlier process did: the last tick it had (its `tick_complete` or
   * `history_tick`). Ticks after it up to the first snapshot come from history, as after a
   * reconnect.
   */
  afterTick?: number;
  /**
   * When the gateway skipped events for this slow reader (a `dropped` marker), ask it for a fresh
   * snapshot (`{"action":"snapshot"}`, one request at a time), delivered in order like the first:
   * for a view of the execution's state, which the skipped events left wrong (Studio's canvas).
   * With `fillGaps`, the ticks whose `tick_complete` was skipped, up to the snapshot's, then come
   * from history as after a reconnect. Default false: the marker is delivered and following goes on.
   */
  resyncOnDrop?: boolean;
  /** How long history may take to store the last missed tick. Default 10 s. */
  gapWaitMs?: number;
  /** Every message, in order; each runner event once; `raw` is the text the gateway sent. */
  onMessage(message: StreamMessage, raw: string): void;
  onNotice?(notice: StreamNotice): void;
  /**
   * A WHATWG WebSocket class to connect with, the credential in the `canopy.bearer.<key>`
   * subprotocol. `@canopy/sdk/rest` uses the global `WebSocket` (browsers, Node 22) when absent;
   * the root entry uses the `ws` package with headers when absent.
   */
  WebSocket?: WebSocketConstructor;
}

export type FollowEnd = 'terminal' | 'interrupted';

/**
 * Follows an execution's live stream over the gateway's WebSocket (docs/streams.md, docs/sdk.md).
 * When the connection drops it connects again, with backoff, for as long as it takes. The gateway
 * has no replay: a new connection starts with a snapshot at the execution's tick S, so the ticks
 * after the last one this stream delivered, up to S, are read from history and delivered first
 * (`history_tick`), and live events of those ticks are then skipped; runner events are never
 * delivered twice (`(tick, seq)` orders an execution's events). The first connection's failure
 * (unreachable, 401, 404) is thrown; afterwards only an answer that will not change (a 4xx: the
 * execution was deleted) ends the following, thrown as a CanopyError.
 */
export function followExecution(client: CanopyClient, opts: FollowOptions): Promise<FollowEnd> {
  const WebSocketImpl =
    opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl)
    return Promise.reject(
      new TypeError(
        'no WebSocket here (Node < 22): pass `WebSocket` (the ws package has one), or use the root entry @canopy/sdk',
      ),
    );
  return followOver(client, opts, browserStream(client, WebSocketImpl, opts.execId));
}

/** followExecution over any transport (the root entry's default is the `ws` package). */
export async function followOver(
  client: CanopyClient,
  opts: FollowOptions,
  openStream: OpenStream,
): Promise<FollowEnd> {
  const signal = opts.signal ?? new AbortController().signal;
  const query: Record<string, string> = {};
  if (opts.events) query['events'] = [...new Set([...opts.events, ...TERMINAL_EVENTS])].join(',');
  const url = client.streamUrl(opts.execId, query);
  const state: ResumeState = {
    last: undefined,
    delivered: opts.afterTick,
    coveredUpTo: 0,
  };
  let connected = false;
  let failures = 0;
  while (!signal.aborted) {
    let socket: StreamSocket;
    try {
      socket = await openStream(url);
    } catch (error) {
      const lasting = error instanceof CanopyError && error.status < 500;
      if (!connected || lasting) throw error;
      await sleep(Math.min(BACKOFF_MS.first * 2 ** failures++, BACKOFF_MS.max), signal);
      continue;
    }
    const reconnected = connected;
    connected = true;
    failures = 0;
    const end = await new Connection(client, opts, signal, state, reconnected).run(socket);
    if (end !== 'closed') return end;
  }
  return 'interrupted';
}

interface ResumeState {
  /** The last runner event delivered. */
  last: { tick: number; seq: number } | undefined;
  /** The last tick delivered whole (its tick_complete, or history's entry); undefined: none yet. */
  delivered: number | undefined;
  /** Live tick events up to this tick are skipped: history's entries stood for them. */
  coveredUpTo: number;
}

/** One WebSocket connection: messages handled one after another, the snapshot's gap fill first. */
class Connection {
  private finished = false;
  /** A fresh snapshot was asked for (resyncOnDrop) and has not arrived yet. */
  private resyncing = false;
  private queue: Promise<void> = Promise.resolve();
  private resolve!: (how: FollowEnd | 'closed') => void;

  constructor(
    private readonly client: CanopyClient,
    private readonly opts: FollowOptions,
    private readonly signal: AbortSignal,
    private readonly state: ResumeState,
    private readonly reconnected: boolean,
  ) {}

  run(socket: StreamSocket): Promise<FollowEnd | 'closed'> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      const interrupt = () => {
        socket.close(1000);
        this.finish('interrupted');
      };
      if (this.signal.aborted) return interrupt();
      this.signal.addEventListener('abort', interrupt, { once: true });
      this.cleanup = () => this.signal.removeEventListener('abort', interrupt);
      this.socket = socket;
      const onText = (raw: string) => {
        this.queue = this.queue.then(() => this.handle(raw)).catch(() => undefined);
      };
      // What arrived with the upgrade, before this listener existed, comes first.
      socket.listen(onText, (code) => {
        // Messages already received are still handled, then the connection counts as closed.
        void this.queue.then(() => {
          if (this.finished) return;
          if (this.signal.aborted) return this.finish('interrupted');
          this.opts.onNotice?.({
            kind: 'lost',
            code,
            text: `connection to the gateway lost (${code === 1001 ? 'gateway shutting down' : `code ${code}`}); reconnecting…`,
          });
          this.finish('closed');
        });
      });
    });
  }

  private socket!: StreamSocket;
  private cleanup: () => void = () => undefined;

  private finish(how: FollowEnd | 'closed'): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.resolve(how);
  }

  private terminal(): void {
    this.socket.close(1000);
    this.finish('terminal');
  }

  private async handle(raw: string): Promise<void> {
    if (this.finished) return;
    let message: StreamMessage;
    try {
      message = JSON.parse(raw) as StreamMessage;
    } catch {
      return;
    }
    if (message.type === 'snapshot') return this.snapshot(message, raw);
    const { state } = this;
    if (message.seq >= 0) {
      const last = state.last;
      if (
        last &&
        (message.tick < last.tick || (message.tick === last.tick && message.seq <= last.seq))
      )
        return;
      if (TICK_EVENT_TYPES.has(message.type) && message.tick <= state.coveredUpTo) return;
      state.last = { tick: message.tick, seq: message.seq };
      if (message.type === 'tick_complete')
        state.delivered = Math.max(state.delivered ?? 0, message.tick);
    }
    this.opts.onMessage(message, raw);
    if (message.type === 'dropped' && this.opts.resyncOnDrop && !this.resyncing) {
      this.resyncing = true;
      this.socket.send(JSON.stringify({ action: 'snapshot' }));
    }
    if (this.opts.untilTerminal && (TERMINAL_EVENTS as readonly string[]).includes(message.type))
      this.terminal();
  }

  private async snapshot(message: StreamMessage, raw: string): Promise<void> {
    const { state, opts } = this;
    this.resyncing = false;
    const execution =
      (message.data as { execution?: { state?: string; tick?: number } }).execution ?? {};
    const tick = execution.tick ?? 0;
    // Ticks after the last one delivered, up to the snapshot's: missed while disconnected (or
    // before this process, with `afterTick`). The first connection otherwise starts at the snapshot.
    const from = (state.delivered ?? tick) + 1;
    const missed = from <= tick ? { from, to: tick } : undefined;
    if (this.reconnected) {
      const fill =
        opts.fillGaps === false ? '(GET /executions/:id/history has them)' : '(from history)';
      opts.onNotice?.({
        kind: 'reconnected',
        missed,
        text: missed
          ? `reconnected at tick ${tick}: ticks ${missed.from}-${missed.to} happened while disconnected ${fill}`
          : 'reconnected',
      });
    }
    opts.onMessage(message, raw);
    if (missed && opts.fillGaps !== false) {
      const filled = await fillFromHistory(this.client, opts.execId, missed.from, missed.to, {
        waitMs: opts.gapWaitMs ?? 10_000,
        signal: this.signal,
      });
      for (const m of filled) {
        if (this.finished) return;
        opts.onMessage(m, JSON.stringify(m));
      }
      state.coveredUpTo = tick;
    }
    if (state.delivered === undefined || state.delivered < tick) state.delivered = tick;
    if (opts.untilTerminal && TERMINAL_STATES.has(execution.state ?? '')) this.terminal();
  }
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
