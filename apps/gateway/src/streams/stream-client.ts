import type { EventEnvelope } from '@canopy/contracts';
import { EventMatcher, type StreamFilter } from './stream-filter';

/** One message for a client: its JSON text, with what is needed to order and drop it. */
export interface StreamItem {
  type: string;
  tick: number;
  seq: number;
  text: string;
  /** Control messages (snapshot, subscribed, error) are never filtered or dropped. */
  control?: boolean;
  /** A gap: this many events were skipped here, the last of them at `tick`/`seq`. */
  dropped?: number;
}

/** A transport (a WebSocket, an SSE response) as the client queue sees it. */
export interface StreamSink {
  /** Hands one message over; `written` runs once the transport has written it to the socket. */
  send(item: StreamItem, written: () => void): void;
  /** Bytes handed over but not yet written to the socket. */
  buffered(): number;
  close(code: number, reason: string): void;
}

export interface StreamLimits {
  /** Events held in the queue; beyond it the oldest are dropped. */
  queue: number;
  /** Transport bytes in flight; beyond it messages wait in the queue. */
  bufferBytes: number;
}

/**
 * Control messages a client may have waiting (they answer its own requests). One that keeps
 * asking without reading is closed rather than buffered without end.
 */
export const MAX_QUEUED_CONTROL = 64;
/** WebSocket close code for a client that breaks the protocol. */
export const CLOSE_POLICY_VIOLATION = 1008;

/** Gateway-made messages share the envelope shape; `seq: -1` marks them as outside a tick. */
export function controlItem(
  type: string,
  execId: string,
  tick: number,
  data: unknown,
  seq = -1,
): StreamItem {
  const text = JSON.stringify({ type, execId, tick, seq, at: new Date().toISOString(), data });
  return { type, tick, seq, text, control: true };
}

/**
 * One watcher of one execution: its filter and a bounded queue between the execution's event
 * subscription (shared by every watcher) and its transport.
 *
 * Messages are handed to the transport while it holds fewer than `bufferBytes` unwritten; the rest
 * wait here, at most `queue` events. When a new event finds the queue full, the **oldest queued
 * event is dropped**; in its place the client gets one `{type: "dropped", tick, seq, data:
 * {count}}` marker for each run of consecutive drops (tick and seq of the last event skipped). So
 * a slow client always ends up with the newest events, never blocks the fan-out (which only ever
 * appends to queues), and knows when to ask for a fresh snapshot.
 */
export class StreamClient {
  private matcher: EventMatcher;
  private items: StreamItem[] = [];
  private head = 0;
  private events = 0;
  private controls = 0;
  private sink?: StreamSink;
  private started = false;
  private closed = false;
  /** The newest tick seen, for the tick of control messages. */
  private tick = 0;
  private readonly written = (): void => this.pump();

  constructor(
    readonly execId: string,
    filter: StreamFilter,
    private readonly limits: StreamLimits,
    private readonly onClose: (client: StreamClient) => void,
  ) {
    this.matcher = new EventMatcher(filter);
  }

  get filter(): StreamFilter {
    return this.matcher.filter;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Events waiting in the queue (not yet handed to the transport). */
  get queuedEvents(): number {
    return this.events;
  }

  setFilter(filter: StreamFilter): void {
    this.matcher = new EventMatcher(filter);
  }

  /** An event from the execution's subject; `text` is its JSON as published (shared by all clients). */
  offer(event: EventEnvelope, text: string): void {
    if (this.closed) return;
    if (event.tick > this.tick) this.tick = event.tick;
    if (!this.matcher.matches(event)) return;
    this.items.push({ type: event.type, tick: event.tick, seq: event.seq, text });
    if (++this.events > this.limits.queue) this.dropOldest();
    this.pump();
  }

  /** A gateway message (`subscribed`, `error`, a later `snapshot`), after what is queued. */
  control(type: string, data: unknown): void {
    if (this.closed) return;
    if (this.controls >= MAX_QUEUED_CONTROL) {
      this.close(CLOSE_POLICY_VIOLATION, 'too many requests while not reading');
      return;
    }
    this.items.push(controlItem(type, this.execId, this.tick, data));
    this.controls++;
    this.pump();
  }

  /**
   * The first message: the snapshot. Events that arrived while it was fetched stay queued after
   * it, except those of earlier ticks than the snapshot's, which it already reflects.
   */
  start(snapshot: StreamItem): void {
    if (this.closed || this.started) return;
    if (snapshot.tick > this.tick) this.tick = snapshot.tick;
    const waiting = this.items
      .slice(this.head)
      .filter((item) => item.control || item.dropped !== undefined || item.tick >= snapshot.tick);
    this.items = [snapshot, ...waiting];
    this.head = 0;
    this.events = waiting.filter((item) => !item.control && item.dropped === undefined).length;
    this.controls = this.items.filter((item) => item.control).length;
    this.started = true;
    this.pump();
  }

  attach(sink: StreamSink): void {
    if (this.closed) {
      sink.close(1000, 'closed');
      return;
    }
    this.sink = sink;
    this.pump();
  }

  /** Stops delivery and leaves the hub; `code` also closes the transport. */
  close(code?: number, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.items = [];
    this.head = 0;
    this.onClose(this);
    if (code !== undefined) this.sink?.close(code, reason);
  }

  /** Replaces the oldest queued event with a gap, or grows the gap right before it. */
  private dropOldest(): void {
    let at = this.head;
    while (
      at < this.items.length &&
      (this.items[at].control || this.items[at].dropped !== undefined)
    ) {
      at++;
    }
    const victim = this.items[at];
    this.events--;
    const before = at > this.head ? this.items[at - 1] : undefined;
    if (before?.dropped === undefined) {
      this.items[at] = {
        type: 'dropped',
        tick: victim.tick,
        seq: victim.seq,
        text: '',
        dropped: 1,
      };
      return;
    }
    before.dropped++;
    before.tick = victim.tick;
    before.seq = victim.seq;
    if (at - 1 === this.head) {
      // The usual case (the gap leads the queue): move it onto the victim's slot.
      this.items[at] = before;
      this.head++;
      this.compact();
    } else {
      this.items.splice(at, 1);
    }
  }

  /** Reclaims the consumed prefix now and then, rather than shifting on every message. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private pump(): void {
    const sink = this.sink;
    if (this.closed || !this.started || !sink) return;
    while (this.head < this.items.length && sink.buffered() < this.limits.bufferBytes) {
      let item = this.items[this.head++];
      if (item.dropped !== undefined) {
        item = controlItem('dropped', this.execId, item.tick, { count: item.dropped }, item.seq);
      } else if (item.control) {
        this.controls--;
      } else {
        this.events--;
      }
      this.compact();
      sink.send(item, this.written);
    }
  }
}
