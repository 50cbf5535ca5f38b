import type { NodeJson } from '../model/json';
import type { WatchdogAction, WatchdogOptions } from '../model/runtime';
import { RUNNING, type StatusCode } from '../status';
import type { BtNode } from './node';
import type { Runtime } from './runtime';

const NO_NODES: readonly BtNode[] = [];

/**
 * The RUNNING episode of a watched node: the tick (and its clock time) it began in, and whether it
 * was reported. Part of the node's checkpoint state, so a runner that takes the execution over
 * neither forgets how long the node has run nor reports it a second time.
 */
export class NodeWatch {
  /** Clock time of the tick the episode began in; -1 when the node is not running. */
  sinceMs = -1;
  sinceTick = 0;
  reported = false;

  constructor(public budget: number) {}

  save(): [number, number, number] {
    return [this.sinceTick, this.sinceMs, this.reported ? 1 : 0];
  }

  load(v: unknown): void {
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number') {
      this.sinceTick = v[0];
      this.sinceMs = v[1];
      this.reported = v[2] === 1;
    } else {
      this.end();
    }
  }

  end(): void {
    this.sinceMs = -1;
    this.reported = false;
  }
}

/**
 * The watchdog of one tree. Only nodes with a budget get a `NodeWatch` and are checked, on the
 * runtime's observed tick path, after each of their ticks; a tree with none stays on the plain
 * path, so it costs nothing. "Running for" is measured on the tick clock (read once per tick).
 */
export class Watchdog {
  action: WatchdogAction = 'report';
  tickBudgetMs = Number.POSITIVE_INFINITY;
  private defaultMs = 0;
  private watched: readonly BtNode[] = NO_NODES;

  constructor(
    private readonly rt: Runtime,
    private readonly nodes: readonly BtNode[],
    private readonly jsons: readonly NodeJson[],
    /** Some node has a `:stuck-after` (the builder saw one). */
    private readonly explicit: boolean,
  ) {}

  /** The settings `configure` was given last (a hot reload gives them to the new tree). */
  get options(): WatchdogOptions {
    const opts: WatchdogOptions = { action: this.action };
    if (this.defaultMs > 0) opts.stuckAfterMs = this.defaultMs;
    if (Number.isFinite(this.tickBudgetMs)) opts.tickBudgetMs = this.tickBudgetMs;
    return opts;
  }

  /** Budgets: a node's `:stuck-after`, else the default for leaves. Episodes under way are kept. */
  configure(opts: WatchdogOptions): void {
    this.action = opts.action ?? 'report';
    this.tickBudgetMs = opts.tickBudgetMs ?? Number.POSITIVE_INFINITY;
    this.defaultMs = opts.stuckAfterMs ?? 0;
    // Most trees have no budget at all: building them walks nothing more.
    if (!this.explicit && this.defaultMs === 0 && this.watched.length === 0) return;
    const watched: BtNode[] = [];
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      const own = this.jsons[i]['stuck-after'];
      const budget =
        typeof own === 'number' && own > 0 ? own : n.children.length === 0 ? this.defaultMs : 0;
      if (budget > 0) {
        if (n.wd === null) {
          n.wd = new NodeWatch(budget);
          // Already running: it counts from the last tick.
          if (n.status === RUNNING) this.begin(n.wd);
        } else {
          n.wd.budget = budget;
        }
        watched.push(n);
      } else {
        n.wd = null;
      }
    }
    this.watched = watched;
    this.rt.setWatching(watched.length > 0);
  }

  /**
   * After `node` was ticked (its status before is still `prev`): starts or ends its episode, and
   * reports it when it has run past its budget. True when the node is to fail now (`fail`).
   */
  check(node: BtNode, w: NodeWatch, prev: StatusCode, running: boolean): boolean {
    if (!running) {
      w.end();
      return false;
    }
    if (prev !== RUNNING || w.sinceMs < 0) {
      this.begin(w);
      return false;
    }
    if (w.reported) return false;
    const rt = this.rt;
    const ranFor = rt.now - w.sinceMs;
    if (ranFor < w.budget) return false;
    w.reported = true;
    const action = this.action;
    rt.rec.stuck({
      nodeId: node.id,
      runningSinceTick: w.sinceTick,
      runningForMs: ranFor,
      budgetMs: w.budget,
      action,
    });
    // Under a debugger, `pause` stops the tick at the node's `after` (a plain tick only records it).
    if (action === 'pause' && rt.probe !== null) rt.probe.stuck(node);
    if (action !== 'fail') return false;
    rt.rec.error(
      node.id,
      'NODE_STUCK',
      `running for ${ranFor} ms since tick ${w.sinceTick} (budget ${w.budget} ms): halted by the watchdog`,
    );
    w.end();
    return true;
  }

  /**
   * The earliest clock time at which a running node not yet reported becomes stuck, or Infinity.
   * Hosts that do not tick a running tree regularly (event mode) plan a tick for then.
   */
  deadline(): number {
    let next = Number.POSITIVE_INFINITY;
    const rt = this.rt;
    for (const n of this.watched) {
      const w = n.wd;
      if (w === null || n.status !== RUNNING || w.reported) continue;
      // A running node whose episode is unknown (state from before the watchdog) starts counting at the next tick.
      const at = (w.sinceMs < 0 ? rt.now : w.sinceMs) + w.budget;
      if (at < next) next = at;
    }
    return next;
  }

  private begin(w: NodeWatch): void {
    w.sinceMs = this.rt.now;
    w.sinceTick = this.rt.tick;
    w.reported = false;
  }
}
