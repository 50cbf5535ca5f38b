import { DEFAULT_TREE_LIMITS, type TreeLimits } from '../validate/tree-limits';
import { BuildError } from '../errors';
import type {
  Checkpoint,
  Clock,
  ErrorRecord,
  NodeChange,
  NodeInfo,
  Status,
  TickHooks,
  TickOptions,
  TickRecord,
  WatchdogOptions,
  WriteRecord,
} from '../model/runtime';
import type { NodeJson } from '../model/json';
import { Debugger, type DebugAccess } from '../debug/debugger';
import type { RecordParts } from '../record/recorder';
import { STATUS_NAMES, type TickStatus } from '../status';
import { describeNodes } from './describe';
import { fingerprintOf } from './fingerprint';
import type { BtNode } from './node';
import { NO_EVENTS, type Runtime } from './runtime';
import type { NodeState } from './state';
import { Watchdog } from './watchdog';

/**
 * The host's `performance`, read once: in Node the global is an accessor, and going through it
 * twice a tick was a measurable part of a small tree's tick.
 */
const perf: { now(): number } = globalThis.performance;

/** What `halt()` changed outside a tick; hosts persist the writes (released semaphores). */
export interface HaltRecord {
  nodes: NodeChange[];
  writes: WriteRecord[];
  errors: ErrorRecord[];
}

/** @internal See `BehaviorTree.internals`. */
export interface TreeInternals {
  rt: Runtime;
  nodes: readonly BtNode[];
  jsons: readonly NodeJson[];
  clock: Clock;
  watchdog: WatchdogOptions;
  /** What the tree was built with: a hot reload builds its successor with the same. */
  limits: TreeLimits;
  /** Drops a tick paused in the debugger: the tree is at the state before it. */
  abandonPaused(): void;
  /** The recorder's parts so far, against this tree's node ids. */
  take(): RecordParts;
  setTickCount(n: number): void;
}

/** A built tree, ready to tick. Created by `buildTree`. */
export class BehaviorTree {
  private count = 0;
  /** A tick is running, or a debugger holds one paused: no other may start. */
  private ticking = false;
  private dbg: Debugger | undefined = undefined;
  private readonly ids: readonly string[];
  // Made on first use: many trees are built only to be inspected or checked.
  private byIdMap: ReadonlyMap<string, BtNode> | undefined = undefined;
  private infos: readonly NodeInfo[] | undefined = undefined;
  private hash: string | undefined = undefined;
  private readonly watchdog: Watchdog;

  /** @internal Use `buildTree`. */
  constructor(
    readonly name: string,
    private readonly rt: Runtime,
    private readonly root: BtNode,
    private readonly all: readonly BtNode[],
    /** The JSON each node was built from (documents are not to be mutated once built). */
    private readonly jsons: readonly NodeJson[],
    private readonly clock: Clock,
    watchdog: WatchdogOptions = {},
    budgeted = true,
    private readonly limits: TreeLimits = DEFAULT_TREE_LIMITS,
  ) {
    const ids: string[] = [];
    for (let i = 0; i < all.length; i++) ids.push(all[i].id);
    this.ids = ids;
    this.watchdog = new Watchdog(rt, all, jsons, budgeted);
    rt.watchdog = this.watchdog;
    this.watchdog.configure(watchdog);
  }

  /**
   * Changes the watchdog between ticks (DESIGN.md "Watchdog"): the default budget of leaves, the
   * action, the tick budget. Nodes already running keep their episode (or count from the last tick).
   */
  setWatchdog(opts: WatchdogOptions): void {
    this.watchdog.configure(opts);
  }

  /**
   * The earliest clock time at which a running node not reported yet becomes stuck (Infinity:
   * none). A host that does not tick a running tree on its own plans a tick for then.
   */
  get stuckDeadline(): number {
    return this.watchdog.deadline();
  }

  /** Every node, depth-first. */
  get nodes(): readonly NodeInfo[] {
    return (this.infos ??= describeNodes(this.all, this.jsons));
  }

  /** Structural hash: checkpoints restore only into a tree with the same one. */
  get fingerprint(): string {
    return (this.hash ??= fingerprintOf(this.name, this.all, this.jsons));
  }

  private get byId(): ReadonlyMap<string, BtNode> {
    return (this.byIdMap ??= new Map(this.all.map((n) => [n.id, n])));
  }

  get tickCount(): number {
    return this.count;
  }

  /** The root's last status. */
  get status(): Status {
    return STATUS_NAMES[this.root.status];
  }

  /** One tick; `options.events` is its batch of external events (none when absent). */
  tick(options?: TickOptions): TickRecord {
    return this.tickAt(this.clock.now(), options);
  }

  /** `tick()` at clock time `now`: the debugger reads the clock once to decide how to run a tick. */
  private tickAt(now: number, options: TickOptions | undefined): TickRecord {
    this.enter('tick');
    const t0 = perf.now();
    const rt = this.rt;
    try {
      rt.tick = ++this.count;
      rt.now = now;
      rt.events = options?.events ?? NO_EVENTS;
      const s = this.root.tick();
      return recordOf(rt, s, rt.rec.take(this.ids), t0);
    } catch (e) {
      // Only host code throws here (a hook, the store): drop the half tick's events with it.
      rt.rec.take(this.ids);
      throw e;
    } finally {
      // A batch belongs to its tick only: nothing after it (a halt, a debugger) may read it.
      rt.events = NO_EVENTS;
      this.ticking = false;
    }
  }

  /**
   * Halts everything: running nodes are halted (async work aborted, semaphores released) and
   * every node goes back to IDLE. Memories (memory composites, run-once, cooldown) are kept.
   * The changes are returned, since no tick record will carry them.
   */
  halt(): HaltRecord {
    // A paused tick never happened: halting starts from the state before it.
    this.dbg?.abandon();
    this.enter('halt');
    try {
      this.root.halt();
      for (const n of this.all) n.reset();
      const { nodes, writes, errors } = this.rt.rec.take(this.ids);
      return { nodes, writes, errors };
    } finally {
      this.ticking = false;
    }
  }

  statusOf(id: string): Status | undefined {
    const n = this.byId.get(id);
    return n ? STATUS_NAMES[n.status] : undefined;
  }

  statuses(): Record<string, Status> {
    const out: Record<string, Status> = {};
    for (const n of this.all) out[n.id] = STATUS_NAMES[n.status];
    return out;
  }

  setHooks(hooks?: TickHooks): void {
    this.rt.setHooks(hooks);
  }

  checkpoint(): Checkpoint {
    const nodes: Record<string, unknown> = {};
    for (const n of this.all) {
      const s = n.save();
      if (s !== undefined) nodes[n.id] = s;
    }
    return { v: 1, fingerprint: this.fingerprint, tick: this.count, nodes };
  }

  /**
   * Replaces all node state with the checkpoint's. In-flight async work of this tree is dropped;
   * actions and LLM calls that were pending when the checkpoint was taken are called again on
   * the next tick (same invocationId), because a promise cannot be serialized.
   */
  restore(cp: Checkpoint): void {
    if (
      typeof cp !== 'object' ||
      cp === null ||
      cp.v !== 1 ||
      typeof cp.nodes !== 'object' ||
      cp.nodes === null
    ) {
      throw new BuildError('BAD_CHECKPOINT', 'not a version 1 checkpoint');
    }
    if (cp.fingerprint !== this.fingerprint) {
      throw new BuildError(
        'CHECKPOINT_MISMATCH',
        `checkpoint is for tree ${cp.fingerprint}, this tree is ${this.fingerprint}`,
      );
    }
    this.dbg?.abandon();
    this.enter('restore');
    try {
      for (const n of this.all) n.discard();
      this.load(cp);
    } finally {
      this.ticking = false;
    }
  }

  /** The tree's debugger, if `debug()` made one. */
  get debugger(): Debugger | undefined {
    return this.dbg;
  }

  /**
   * The tree's debugger (made on first use): breakpoints, watches, steps. While it holds a paused
   * tick, `tick()` throws (go on with `step`); `halt()` and `restore()` drop the paused tick.
   * Throws DebugError NO_SNAPSHOT when the blackboard store cannot give a snapshot.
   */
  debug(): Debugger {
    return (this.dbg ??= new Debugger(this.debugAccess()));
  }

  /** @internal What a hot reload (`reload/`) needs to move node state between two trees. */
  internals(): TreeInternals {
    return {
      rt: this.rt,
      nodes: this.all,
      jsons: this.jsons,
      clock: this.clock,
      watchdog: this.watchdog.options,
      limits: this.limits,
      abandonPaused: () => this.dbg?.abandon(),
      take: () => this.rt.rec.take(this.ids),
      setTickCount: (n) => {
        this.count = n;
      },
    };
  }

  /** Node state from a checkpoint (already checked), keeping in-flight work. */
  private load(cp: Checkpoint): void {
    const states = cp.nodes as Record<string, NodeState | undefined>;
    for (const n of this.all) n.load(Object.hasOwn(states, n.id) ? states[n.id] : undefined);
    this.count = typeof cp.tick === 'number' ? cp.tick : 0;
    // Nothing that happened before the restore belongs to the next record.
    this.rt.rec.take(this.ids);
  }

  private debugAccess(): DebugAccess {
    return {
      rt: this.rt,
      root: this.root,
      nodes: this.all,
      clock: this.clock,
      fingerprint: () => this.fingerprint,
      tickCount: () => this.count,
      setTickCount: (n) => {
        this.count = n;
      },
      busy: () => this.ticking,
      setBusy: (b) => {
        this.ticking = b;
      },
      tick: (now, options) => this.tickAt(now, options),
      checkpoint: () => this.checkpoint(),
      load: (cp) => this.load(cp),
      take: () => this.rt.rec.take(this.ids),
      record: (status, parts, t0) => recordOf(this.rt, status, parts, t0),
      statuses: () => this.statuses(),
    };
  }

  private enter(what: string): void {
    if (this.ticking) {
      const paused = this.dbg?.paused;
      throw new Error(
        paused
          ? `BehaviorTree.${what}(): tick ${paused.tick} is paused in the debugger (go on with step())`
          : `BehaviorTree.${what}() called during a tick`,
      );
    }
    this.ticking = true;
  }
}

/** The record of a tick that ended with `s`, started at `t0` (performance.now). */
function recordOf(rt: Runtime, s: TickStatus, parts: RecordParts, t0: number): TickRecord {
  const record: TickRecord = {
    tick: rt.tick,
    startedAt: rt.now,
    durationMs: 0,
    status: STATUS_NAMES[s],
    nodes: parts.nodes,
    writes: parts.writes,
    logs: parts.logs,
    progress: parts.progress,
    errors: parts.errors,
  };
  if (parts.visits) record.visits = parts.visits;
  if (rt.events.length > 0) record.events = rt.events.slice();
  if (parts.stuck) record.stuck = parts.stuck;
  if (parts.llm) record.llm = parts.llm;
  if (parts.chunks) record.chunks = parts.chunks;
  record.durationMs = perf.now() - t0;
  const budget = rt.watchdog === null ? Number.POSITIVE_INFINITY : rt.watchdog.tickBudgetMs;
  if (record.durationMs > budget) record.overrun = { budgetMs: budget };
  return record;
}
