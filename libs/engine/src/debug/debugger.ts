import { readKey } from '../blackboard/access';
import type { LocalScope } from '../blackboard/local-scope';
import { getIn } from '../blackboard/nested';
import type {
  Checkpoint,
  Clock,
  ExternalEvent,
  Status,
  TickOptions,
  TickRecord,
} from '../model/runtime';
import type { RecordParts } from '../record/recorder';
import { STATUS_NAMES, type StatusCode, type TickStatus } from '../status';
import type { BtNode } from '../tree/node';
import { ParallelForEachNode } from '../nodes/decorators/for-each';
import { ownsScope } from '../tree/node-def';
import { NO_EVENTS, type Runtime } from '../tree/runtime';
import { suggest } from '../validate/suggest';
import { CallMemo } from './call-memo';
import { compileCondition, parseCondition, parseWatchKey } from './conditions';
import { DebugError } from './debug-error';
import { DebugStore, snapshotOf } from './debug-store';
import { PAUSE, TickRun, type Hook, type StepTarget, type Stop } from './tick-run';
import type {
  BlackboardView,
  DebugBreakpoint,
  DebugOutcome,
  DebugState,
  DebugView,
  DebugWatch,
  LocalView,
  PausedAt,
  PausedTick,
  PendingWrite,
  ReplaceStatus,
  StepMode,
} from './types';
import { WatchEntry, WatchTracker } from './watch-tracker';

/** @internal What a debugger may do to its tree (BehaviorTree gives it this, nobody else). */
export interface DebugAccess {
  readonly rt: Runtime;
  readonly root: BtNode;
  readonly nodes: readonly BtNode[];
  readonly clock: Clock;
  fingerprint(): string;
  tickCount(): number;
  setTickCount(n: number): void;
  /** The tree is busy: no `tick()`, `halt()` or `restore()` may start (a run, or a paused tick). */
  busy(): boolean;
  setBusy(busy: boolean): void;
  /** `tree.tick(options)` at clock time `now`. */
  tick(now: number, options?: TickOptions): TickRecord;
  checkpoint(): Checkpoint;
  /** Node state from a checkpoint of this tree; in-flight work is kept, not aborted. */
  load(cp: Checkpoint): void;
  take(): RecordParts;
  record(status: TickStatus, parts: RecordParts, startedMs: number): TickRecord;
  statuses(): Record<string, Status>;
}

/** What a run swaps in the runtime, put back when it ends. */
interface HostParts {
  store: Runtime['store'];
  actions: Runtime['actions'];
  llm: Runtime['llm'];
  observed: boolean;
}

/** A tick that stopped at a boundary and waits to go on. */
interface Session {
  readonly tick: number;
  readonly now: number;
  /** The tick's external events: every run of the tick sees the same batch. */
  readonly events: readonly ExternalEvent[];
  /** Node state when the tick began. */
  readonly start: Checkpoint;
  /** In-process async state when the tick began, by node index. */
  readonly live: Map<number, unknown>;
  readonly store: DebugStore;
  readonly memo: CallMemo;
  /** Async results that arrived while paused: applied when the tick completes. */
  readonly held: (() => void)[];
  readonly replaced: Map<number, StatusCode>;
  at: PausedAt | undefined;
  boundary: number;
  statuses: Record<string, Status>;
  locals: LocalView[];
  writes: PendingWrite[];
  snapshot: BlackboardView | undefined;
}

const STATE_VERSION = 1;

/**
 * The debugger of one tree (DESIGN.md "Debugging"): hooks on node boundaries, watches on keys,
 * and ticks that stop in the middle and go on later. A tick that stops is unwound and thrown
 * away; going on re-runs it from its start state, with the same time, the blackboard frozen as
 * it was when the tick began, the same `replace` decisions and memoized outside calls, up to
 * the boundary where it stopped, and on from there. Nothing of a tick reaches the host (store
 * writes, record) until it completes. Obtain it with `tree.debug()`.
 */
export class Debugger {
  private readonly bps = new Map<string, Hook>();
  private readonly byNode = new Map<BtNode, Hook[]>();
  private readonly watchList = new Map<string, WatchEntry>();
  private session: Session | undefined = undefined;
  private byIdMap: Map<string, BtNode> | undefined = undefined;
  private scopes: (LocalScope | null)[] | undefined = undefined;
  private parents: (BtNode | null)[] | undefined = undefined;
  private current: TickRun | undefined = undefined;

  /** @internal Use `tree.debug()`. */
  constructor(private readonly tree: DebugAccess) {
    // Refused now rather than at the first pause: a host that cannot freeze its store cannot debug.
    snapshotOf(tree.rt.store);
  }

  /** Where the paused tick stands, or undefined when no tick is paused. */
  get paused(): PausedAt | undefined {
    return this.session?.at;
  }

  /**
   * The external events of the paused tick (empty when none is paused): the host must not give
   * them to another tick, since the paused one has them until it completes or is dropped.
   */
  get pausedEvents(): readonly ExternalEvent[] {
    return this.session?.events ?? NO_EVENTS;
  }

  /** Whether `step('continue')` must run the tick under the debugger (else it is `tree.tick()`). */
  get active(): boolean {
    if (this.session !== undefined || this.watchList.size > 0) return true;
    for (const h of this.bps.values()) if (h.bp.enabled) return true;
    return false;
  }

  setBreakpoint(bp: DebugBreakpoint): void {
    const node = this.byId().get(bp.nodeId);
    if (node === undefined) {
      const near = suggest(bp.nodeId, this.byId().keys());
      throw new DebugError(
        'UNKNOWN_NODE',
        `unknown node '${bp.nodeId}'${near ? ` (did you mean '${near}'?)` : ''}`,
      );
    }
    if (bp.when !== 'before' && bp.when !== 'after')
      throw new DebugError(
        'BAD_BREAKPOINT',
        `when must be before or after, got '${String(bp.when)}'`,
      );
    if (bp.mode === 'replace') {
      if (bp.status !== 'SUCCESS' && bp.status !== 'FAILURE' && bp.status !== 'RUNNING') {
        throw new DebugError(
          'BAD_BREAKPOINT',
          'a replace breakpoint needs the status (SUCCESS, FAILURE or RUNNING) the node returns instead',
        );
      }
      if (bp.when !== 'before')
        throw new DebugError(
          'BAD_BREAKPOINT',
          'replace happens instead of ticking the node: it can only be before',
        );
    } else if (bp.mode !== 'break') {
      throw new DebugError(
        'BAD_BREAKPOINT',
        `mode must be break or replace, got '${String(bp.mode)}'`,
      );
    }
    const test =
      bp.condition === undefined
        ? null
        : compileCondition(parseCondition(bp.condition), this.scopeOf(node));
    const copy: DebugBreakpoint = {
      id: bp.id,
      nodeId: bp.nodeId,
      when: bp.when,
      mode: bp.mode,
      once: bp.once === true,
      enabled: bp.enabled !== false,
    };
    if (bp.mode === 'replace') copy.status = bp.status as ReplaceStatus;
    if (bp.condition !== undefined) copy.condition = bp.condition;
    this.removeHook(bp.id);
    const hook: Hook = { bp: copy, node, test };
    this.bps.set(bp.id, hook);
    const list = this.byNode.get(node);
    if (list) list.push(hook);
    else this.byNode.set(node, [hook]);
  }

  /** Removes every hook on the node; returns them. */
  removeBreakpoints(nodeId: string): DebugBreakpoint[] {
    const node = this.byId().get(nodeId);
    const hooks = node === undefined ? undefined : this.byNode.get(node);
    if (hooks === undefined) return [];
    const removed = hooks.map((h) => ({ ...h.bp }));
    for (const bp of removed) this.removeHook(bp.id);
    return removed;
  }

  breakpoints(): DebugBreakpoint[] {
    return [...this.bps.values()].map((h) => ({ ...h.bp }));
  }

  setWatch(w: DebugWatch): void {
    const ref = parseWatchKey(w.key);
    const condition = w.condition === undefined ? null : parseCondition(w.condition);
    const watch: DebugWatch = { id: w.id, key: w.key };
    if (w.condition !== undefined) watch.condition = w.condition;
    this.watchList.set(w.id, new WatchEntry(watch, ref, condition));
  }

  removeWatch(id: string): DebugWatch | undefined {
    const entry = this.watchList.get(id);
    this.watchList.delete(id);
    return entry === undefined ? undefined : { ...entry.watch };
  }

  watches(): DebugWatch[] {
    return [...this.watchList.values()].map((e) => ({ ...e.watch }));
  }

  /**
   * Runs the next tick, or goes on with the paused one, under `mode`. With nothing to stop at
   * (no enabled breakpoint, no watch, nothing paused), `continue` and `over` are `tree.tick()`.
   * `options.events` is the batch of a tick that begins here; a paused tick goes on with its own.
   */
  step(mode: StepMode, options?: TickOptions): DebugOutcome {
    if (mode !== 'into' && mode !== 'over' && mode !== 'out' && mode !== 'continue') {
      throw new DebugError('BAD_STATE', `unknown step mode '${String(mode)}'`);
    }
    const t = this.tree;
    if (this.session === undefined) {
      // Read once: it decides how the tick runs, and is the tick's time either way.
      const now = t.clock.now();
      if (mode !== 'into' && !this.active && !this.watchdogPauses(now)) {
        // tick() checks that the tree is not busy.
        return { kind: 'completed', record: t.tick(now, options), hits: [], conditionErrors: [] };
      }
      if (t.busy()) throw new Error('Debugger.step() called during a tick');
      this.session = this.begin(now, options?.events ?? NO_EVENTS);
    }
    return this.run(this.session, mode);
  }

  /**
   * The watchdog's action is `pause` and a running node is stuck by `now`: the tick must run
   * here, so that it stops at that node (a plain tick would only record it).
   */
  private watchdogPauses(now: number): boolean {
    const wd = this.tree.rt.watchdog;
    return wd !== null && wd.action === 'pause' && wd.deadline() <= now;
  }

  /** Statuses and blackboard as they are at the paused point (or now, between ticks). */
  view(): DebugView {
    const s = this.session;
    if (s !== undefined) {
      return {
        statuses: { ...s.statuses },
        blackboard: s.store.view(),
        locals: structuredClone(s.locals),
      };
    }
    return {
      statuses: this.tree.statuses(),
      blackboard: snapshotOf(this.tree.rt.store),
      locals: [],
    };
  }

  /**
   * A key in the tree language (`battery`, `team:free`, `robot/pose/x`) as the paused node sees
   * it: its local scopes first, then the execution, team and global scopes; undefined when
   * missing. Between ticks, as the tree's root sees it.
   */
  read(key: string): unknown {
    const ref = parseWatchKey(key);
    const s = this.session;
    const store = s !== undefined ? s.store : this.tree.rt.store;
    let top: unknown;
    if (ref.scope !== null) top = store.get(ref.scope, ref.key);
    else {
      const local = s?.locals.find((l) => Object.hasOwn(l.values, ref.key));
      top = local !== undefined ? local.values[ref.key] : readKey(store, null, ref.key);
    }
    return ref.path === null ? top : getIn(top, ref.path);
  }

  saveState(): DebugState {
    const state: DebugState = {
      v: STATE_VERSION,
      breakpoints: this.breakpoints(),
      watches: this.watches(),
    };
    const s = this.session;
    if (s?.at !== undefined && s.snapshot !== undefined) {
      const paused: PausedTick = {
        at: { ...s.at },
        fingerprint: this.tree.fingerprint(),
        boundary: s.boundary,
        now: s.now,
        replaced: [...s.replaced].map(([i, c]) => [i, STATUS_NAMES[c] as ReplaceStatus]),
        snapshot: s.snapshot,
        writes: s.writes,
        statuses: s.statuses,
        locals: s.locals,
      };
      if (s.events.length > 0) paused.events = [...s.events];
      state.paused = structuredClone(paused);
    }
    return state;
  }

  /**
   * Breakpoints, watches and the paused tick of `saveState()`, into a tree built from the same
   * document whose state is the paused tick's start (the last committed checkpoint).
   */
  restoreState(state: DebugState): void {
    if (typeof state !== 'object' || state === null || state.v !== STATE_VERSION) {
      throw new DebugError('BAD_STATE', `not a version ${STATE_VERSION} debugger state`);
    }
    const p = state.paused;
    if (p !== undefined) {
      if (p.fingerprint !== this.tree.fingerprint()) {
        throw new DebugError(
          'BAD_STATE',
          `the paused tick is of tree ${p.fingerprint}, this tree is ${this.tree.fingerprint()}`,
        );
      }
      if (this.tree.tickCount() !== p.at.tick - 1) {
        throw new DebugError(
          'BAD_STATE',
          `tick ${p.at.tick} is paused, but the tree is after tick ${this.tree.tickCount()} (restore the checkpoint of tick ${p.at.tick - 1} first)`,
        );
      }
    }
    this.abandon();
    this.bps.clear();
    this.byNode.clear();
    this.watchList.clear();
    for (const bp of state.breakpoints ?? []) this.setBreakpoint(bp);
    for (const w of state.watches ?? []) this.setWatch(w);
    if (p === undefined) return;
    const s = this.begin(p.now, Array.isArray(p.events) ? structuredClone(p.events) : NO_EVENTS);
    s.at = { ...p.at };
    s.boundary = p.boundary;
    for (const [i, status] of p.replaced)
      s.replaced.set(i, STATUS_NAMES.indexOf(status) as StatusCode);
    s.snapshot = structuredClone(p.snapshot);
    s.store.thaw(s.snapshot);
    s.writes = structuredClone(p.writes);
    s.store.load(s.writes);
    s.statuses = { ...p.statuses };
    s.locals = structuredClone(p.locals ?? []);
    this.session = s;
    this.hold(s);
  }

  /** @internal The tree drops a paused tick when it is halted or restored. */
  abandon(): void {
    const s = this.session;
    if (s === undefined) return;
    this.session = undefined;
    s.memo.abortAll();
    this.release(s);
  }

  private begin(now: number, events: readonly ExternalEvent[]): Session {
    const t = this.tree;
    const live = new Map<number, unknown>();
    for (const n of t.nodes) {
      const x = n.captureLive();
      if (x !== undefined) live.set(n.index, x);
    }
    const s: Session = {
      tick: t.tickCount() + 1,
      now,
      events,
      start: t.checkpoint(),
      live,
      store: new DebugStore(t.rt.store),
      memo: new CallMemo(t.rt, () => this.current?.current?.id ?? ''),
      held: [],
      replaced: new Map(),
      at: undefined,
      boundary: -1,
      statuses: {},
      locals: [],
      writes: [],
      snapshot: undefined,
    };
    return s;
  }

  private run(s: Session, mode: StepMode): DebugOutcome {
    const t = this.tree;
    const rt = t.rt;
    const tracker =
      this.watchList.size === 0
        ? null
        : new WatchTracker(
            [...this.watchList.values()],
            rt,
            (n) => this.scopeOf(n),
            (e, node, error) => run.watchError(node.id, e.watch.id, error),
          );
    const run: TickRun = new TickRun(
      rt,
      { hooks: (node) => this.byNode.get(node), removeOnce: (hook) => this.removeHook(hook.bp.id) },
      s.at === undefined ? -1 : s.boundary,
      this.target(s.at, mode),
      s.replaced,
      tracker,
    );

    const host: HostParts = {
      store: rt.store,
      actions: rt.actions,
      llm: rt.llm,
      observed: rt.observed,
    };
    s.store.clear();
    s.memo.startRun();
    rt.store = s.store;
    if (host.actions !== undefined) rt.actions = s.memo.actions(host.actions);
    if (host.llm !== undefined) rt.llm = s.memo.llm(host.llm);
    rt.probe = run;
    rt.observed = true;
    rt.held = null;
    rt.aborts = [];
    rt.tick = s.tick;
    rt.now = s.now;
    rt.events = s.events;
    t.setBusy(true);
    this.current = run;
    const t0 = performance.now();
    let status: TickStatus;
    try {
      status = t.root.tick();
    } catch (e) {
      const stop = e === PAUSE ? run.stop : null;
      if (stop !== null) this.pauseAt(s, stop);
      this.unwind(s, host);
      if (stop === null) {
        // Host code threw (a store, a hook): the tick did not happen.
        this.session = undefined;
        s.memo.abortAll();
        this.release(s);
        throw e;
      }
      return {
        kind: 'paused',
        at: { ...(s.at as PausedAt) },
        hits: run.hits,
        conditionErrors: run.conditionErrors,
      };
    }
    const aborts = rt.aborts ?? [];
    this.restoreRuntime(host);
    this.current = undefined;
    const parts = t.take();
    s.store.apply();
    t.setTickCount(s.tick);
    const record = t.record(status, parts, t0);
    if (s.events.length > 0) record.events = s.events.slice();
    this.session = undefined;
    for (const work of aborts) work.abort();
    this.release(s);
    return { kind: 'completed', record, hits: run.hits, conditionErrors: run.conditionErrors };
  }

  private target(at: PausedAt | undefined, mode: StepMode): StepTarget {
    if (mode === 'into') return { next: true };
    if (at === undefined || at.nodeId === undefined || mode === 'continue')
      return { next: false, after: null };
    const node = this.byId().get(at.nodeId) ?? null;
    if (mode === 'over')
      return at.when === 'before' ? { next: false, after: node } : { next: true };
    return { next: false, after: node === null ? null : this.parentOf(node) };
  }

  /** The run stopped: what the host may look at, then the tree back at the tick's start. */
  private pauseAt(s: Session, stop: Stop): void {
    const t = this.tree;
    if (s.snapshot === undefined) s.snapshot = s.store.freeze();
    s.statuses = t.statuses();
    s.locals = [];
    for (let l = this.scopeOf(stop.node); l !== null; l = l.parent) {
      s.locals.push({ scope: l.label, values: structuredClone(Object.fromEntries(l.vars)) });
    }
    s.writes = s.store.pending();
    s.boundary = stop.boundary;
    const at: PausedAt = {
      tick: s.tick,
      reason: stop.reason,
      nodeId: stop.node.id,
      when: stop.when,
    };
    if (stop.status !== undefined) at.status = STATUS_NAMES[stop.status];
    if (stop.breakpointId !== undefined) at.breakpointId = stop.breakpointId;
    if (stop.watchId !== undefined) at.watchId = stop.watchId;
    s.at = at;
  }

  /** Throws the run away: node state of the tick's start, live calls as they were then. */
  private unwind(s: Session, host: HostParts): void {
    const t = this.tree;
    this.restoreRuntime(host);
    this.current = undefined;
    t.take();
    t.load(s.start);
    for (const [index, x] of s.live) t.nodes[index].reinstateLive(x);
    this.hold(s);
  }

  private restoreRuntime(host: HostParts): void {
    const rt = this.tree.rt;
    rt.store = host.store;
    rt.actions = host.actions;
    rt.llm = host.llm;
    rt.probe = null;
    rt.observed = host.observed;
    rt.aborts = null;
    rt.events = NO_EVENTS;
  }

  /** Paused: async results wait, and the tree takes no tick until the paused one goes on. */
  private hold(s: Session): void {
    this.tree.rt.held = s.held;
    this.tree.setBusy(true);
  }

  /** The tick is over (completed or abandoned): results that waited apply now. */
  private release(s: Session): void {
    const rt = this.tree.rt;
    rt.held = null;
    this.tree.setBusy(false);
    for (const apply of s.held.splice(0)) apply();
  }

  private removeHook(id: string): void {
    const hook = this.bps.get(id);
    if (hook === undefined) return;
    this.bps.delete(id);
    const list = this.byNode.get(hook.node);
    if (list === undefined) return;
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byNode.delete(hook.node);
  }

  private byId(): Map<string, BtNode> {
    return (this.byIdMap ??= new Map(this.tree.nodes.map((n) => [n.id, n])));
  }

  /** The scope chain a node's conditions and watches see: its own (subtree, for-each) or its parent's. */
  private scopeOf(node: BtNode): LocalScope | null {
    if (this.scopes === undefined) {
      const nodes = this.tree.nodes;
      const scopes = new Array<LocalScope | null>(nodes.length).fill(null);
      for (const n of nodes) {
        // Depth-first order: a parent's scope is known before its children's.
        const own = ownsScope(n) ? n.ownScope : scopes[n.index];
        scopes[n.index] = own;
        // A parallel for-each gives each copy of its child a scope of its own.
        const perChild = n instanceof ParallelForEachNode ? n : null;
        n.children.forEach((c, i) => (scopes[c.index] = perChild ? perChild.scopeOfChild(i) : own));
      }
      this.scopes = scopes;
    }
    return this.scopes[node.index];
  }

  private parentOf(node: BtNode): BtNode | null {
    if (this.parents === undefined) {
      const parents = new Array<BtNode | null>(this.tree.nodes.length).fill(null);
      for (const n of this.tree.nodes) for (const c of n.children) parents[c.index] = n;
      this.parents = parents;
    }
    return this.parents[node.index];
  }
}
