// What the execution view knows, folded from the live stream (docs/streams.md) and debugger
// replies. Pure: the WebSocket hook batches messages per animation frame into one `events` action.
import type { DebugView, Execution, PausedAt, Status, StreamEvent } from '../api/types';

/** Events kept for the log; older ones fall off (the history API has the past). */
export const LOG_LIMIT = 500;

export interface LiveState {
  execution?: Execution;
  statuses: Record<string, Status>;
  pausedAt?: PausedAt;
  /** The tree version the statuses belong to; a reload moves it (the view refetches the tree). */
  version?: number;
  log: StreamEvent[];
  /** Last runner event applied, to skip one the snapshot already reflects. */
  last?: { tick: number; seq: number };
  /** Events skipped by the gateway for this slow client (`dropped` markers). */
  dropped: number;
}

export type LiveAction =
  | { kind: 'events'; events: StreamEvent[] }
  | { kind: 'debug'; view: DebugView }
  | { kind: 'execution'; execution: Execution };

export const initialLive: LiveState = { statuses: {}, log: [], dropped: 0 };

function isAfter(e: StreamEvent, last?: { tick: number; seq: number }): boolean {
  return !last || e.tick > last.tick || (e.tick === last.tick && e.seq > last.seq);
}

function applyEvent(s: LiveState, e: StreamEvent): LiveState {
  const exec = s.execution;
  const d = e.data;
  switch (e.type) {
    case 'snapshot': {
      const execution = d.execution as Execution;
      return {
        ...s,
        execution,
        version: execution.version,
        statuses: { ...((d.statuses as Record<string, Status> | undefined) ?? s.statuses) },
        pausedAt: execution.state === 'paused' ? s.pausedAt : undefined,
        last: { tick: execution.tick, seq: -1 },
      };
    }
    case 'dropped':
      return { ...s, dropped: s.dropped + Number(d.count ?? 0) };
    case 'subscribed':
    case 'error':
      return s;
  }
  // Gateway messages have seq -1; a runner event the snapshot already covers is skipped.
  if (!isAfter(e, s.last)) return s;
  const next: LiveState = { ...s, last: { tick: e.tick, seq: e.seq } };
  switch (e.type) {
    case 'node_update':
      // `statuses` is the batch's own copy (liveReducer), so writing into it is safe.
      next.statuses[String(d.nodeId)] = d.to as Status;
      break;
    case 'tick_complete':
      if (exec) next.execution = { ...exec, tick: e.tick, status: d.status as Status };
      break;
    case 'execution_paused':
      next.pausedAt = d.pausedAt as PausedAt | undefined;
      if (exec) next.execution = { ...exec, state: 'paused' };
      break;
    case 'execution_resumed':
    case 'execution_started':
      next.pausedAt = undefined;
      if (exec) next.execution = { ...exec, state: 'running', mode: (d.mode as Execution['mode']) ?? exec.mode };
      break;
    case 'execution_stopped':
      next.pausedAt = undefined;
      if (exec) next.execution = { ...exec, state: 'stopped' };
      break;
    case 'execution_completed':
      if (exec) next.execution = { ...exec, state: 'completed', status: d.status as Status };
      break;
    case 'tree_reloaded':
      next.version = Number(d.toVersion);
      if (exec) next.execution = { ...exec, version: Number(d.toVersion) };
      break;
  }
  return next;
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.kind) {
    case 'events': {
      // One copy of the statuses per batch, not per event: a tick of a big tree is hundreds of
      // node_update events in one animation frame.
      let s: LiveState = { ...state, statuses: { ...state.statuses } };
      for (const e of action.events) s = applyEvent(s, e);
      const log = [...state.log, ...action.events.filter((e) => e.type !== 'subscribed')];
      return { ...s, log: log.length > LOG_LIMIT ? log.slice(log.length - LOG_LIMIT) : log };
    }
    case 'debug': {
      const { view } = action;
      // Paused mid-tick, no node_update has been published yet: the debugger's statuses are the truth.
      if (!view.paused) return { ...state, pausedAt: undefined };
      return {
        ...state,
        pausedAt: view.pausedAt,
        statuses: { ...state.statuses, ...view.statuses },
        execution: state.execution ? { ...state.execution, state: 'paused' } : state.execution,
      };
    }
    case 'execution':
      return { ...state, execution: action.execution, version: state.version ?? action.execution.version };
  }
}

/**
 * Where the tick still arriving starts: the index of the last `tick_start` not yet followed by a
 * `tick_complete`, or `events.length` when every tick in the batch is whole. The runner publishes
 * a tick's events together once the tick is done, so the rest is on its way: the live view
 * applies a tick at once (one render and one frame per tick, not one per animation frame its
 * events straddle). Events in between (an `execution_started` published by the start command)
 * wait with it, in order.
 */
export function openTickStart(events: readonly StreamEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i].type === 'tick_complete') return events.length;
    if (events[i].type === 'tick_start') return i;
  }
  return events.length;
}

/** How the batcher waits: the browser's animation frames and timers, or a test's. */
export interface BatchClock {
  now(): number;
  frame(run: () => void): () => void;
  timer(run: () => void, ms: number): () => void;
}

export const browserClock: BatchClock = {
  now: () => performance.now(),
  frame(run) {
    const id = requestAnimationFrame(run);
    return () => cancelAnimationFrame(id);
  },
  timer(run, ms) {
    const id = setTimeout(run, ms);
    return () => clearTimeout(id);
  },
};

/**
 * How long a held tick waits with no message arriving before it is shown as it stands. The
 * runner publishes a tick's events together once the tick is done, so the rest is in transit or
 * in this page's queue (a busy page reads a backlog a few messages at a time: it keeps waiting
 * while they come); silence this long means they are not coming (e.g. the gateway dropped them
 * for a slow page).
 */
export const TICK_HOLD_MS = 250;

/** A performance mark where there is a Performance API (not in unit tests on a bare runtime). */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(name);
}

/**
 * Stream messages to `deliver` in batches: at most one per animation frame, and a tick whose
 * events straddle frames in the frame after its `tick_complete` arrives (or after `holdMs` with
 * no message). A held tick wakes the page again with its `tick_complete`, not with each event.
 */
export class TickBatcher {
  private pending: StreamEvent[] = [];
  private cancelFrame?: () => void;
  /** Set while a tick is held back; after TICK_HOLD_MS with no message, what is pending goes out. */
  private cancelHold?: () => void;
  private holdExpired = false;
  private lastPush = 0;

  constructor(
    private readonly deliver: (events: StreamEvent[]) => void,
    private readonly clock: BatchClock = browserClock,
    private readonly holdMs = TICK_HOLD_MS,
  ) {}

  push(e: StreamEvent): void {
    // Read by the browser test: the tick these skipped events belonged to is shown without them.
    if (e.type === 'dropped') mark('studio:events-dropped');
    this.pending.push(e);
    if (this.cancelHold !== undefined) this.lastPush = this.clock.now();
    if (this.cancelHold === undefined || e.type === 'tick_complete') this.schedule();
  }

  close(): void {
    this.cancelFrame?.();
    this.cancelHold?.();
    this.pending = [];
  }

  private schedule(): void {
    this.cancelFrame ??= this.clock.frame(() => this.flush());
  }

  private hold(ms: number): void {
    this.cancelHold = this.clock.timer(() => {
      const quiet = this.clock.now() - this.lastPush;
      if (quiet < this.holdMs) return this.hold(this.holdMs - quiet);
      this.holdExpired = true;
      // Read by the browser test: a tick shown in parts after this silence is expected, not a bug.
      mark('studio:tick-hold-expired');
      this.schedule();
    }, ms);
  }

  private flush(): void {
    this.cancelFrame = undefined;
    const cut = this.holdExpired ? this.pending.length : openTickStart(this.pending);
    const events = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    if (this.pending.length === 0 || cut > 0) {
      this.cancelHold?.();
      this.cancelHold = undefined;
      this.holdExpired = false;
    }
    if (this.pending.length > 0 && this.cancelHold === undefined) {
      this.lastPush = this.clock.now();
      this.hold(this.holdMs);
    }
    if (events.length > 0) this.deliver(events);
  }
}

/** Event-log filter: by type (empty = all) and node id substring (events naming a node). */
export function filterLog(log: readonly StreamEvent[], types: ReadonlySet<string>, node: string): StreamEvent[] {
  const needle = node.trim();
  return log.filter((e) => {
    if (types.size > 0 && !types.has(e.type)) return false;
    if (!needle) return true;
    const id = e.data?.nodeId;
    return typeof id === 'string' && id.includes(needle);
  });
}
