import { readRef } from '../blackboard/access';
import type { KeyRef } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import type { Evaluator } from '../expr/env';
import { deepEqual, truthy } from '../expr/values';
import type { ExprJson } from '../model/json';
import type { BtNode } from '../tree/node';
import type { Runtime } from '../tree/runtime';
import { compileCondition } from './conditions';
import type { DebugWatch } from './types';

/** A watch as the debugger keeps it: its key parsed, its condition checked. */
export class WatchEntry {
  /** Compiled per scope chain it is evaluated in (the writing node's). */
  private readonly tests = new Map<LocalScope | null, Evaluator>();

  constructor(
    readonly watch: DebugWatch,
    readonly ref: KeyRef,
    readonly condition: ExprJson | null,
  ) {}

  test(scope: LocalScope | null): Evaluator {
    let t = this.tests.get(scope);
    if (t === undefined) {
      t = compileCondition(this.condition as ExprJson, scope);
      this.tests.set(scope, t);
    }
    return t;
  }
}

export interface WatchChange {
  entry: WatchEntry;
  oldValue: unknown;
  value: unknown;
}

/**
 * Finds which node's own writes changed a watched key. A tick is a sequence of node boundaries;
 * between two consecutive ones, only one node runs its own code (the node just entered, or the
 * parent a child just returned to), so a change seen across that interval is that node's write.
 * Values are read as that node sees them (its scope chain, then the execution, team and global
 * scopes) and compared deeply; a watch with a condition counts a change only when the condition
 * was false at the interval's start and is true at its end. Changes are reported at the node's
 * `after` boundary.
 */
export class WatchTracker {
  private readonly values: unknown[];
  private readonly truths: boolean[];
  private readonly pending = new Map<BtNode, Map<WatchEntry, WatchChange>>();

  constructor(
    private readonly entries: readonly WatchEntry[],
    private readonly rt: Runtime,
    private readonly scopeOf: (node: BtNode) => LocalScope | null,
    /** A condition that threw (it counts as false). */
    private readonly onError: (entry: WatchEntry, node: BtNode, error: unknown) => void,
  ) {
    this.values = new Array<unknown>(entries.length);
    this.truths = new Array<boolean>(entries.length).fill(false);
  }

  /** A boundary: the interval in which `from` ran its own code ends, one of `to` begins. */
  move(from: BtNode | null, to: BtNode | null): void {
    const entries = this.entries;
    let scope: LocalScope | null | undefined;
    if (from !== null) {
      scope = this.scopeOf(from);
      for (let j = 0; j < entries.length; j++) {
        const e = entries[j];
        const cur = readRef(this.rt.store, scope, e.ref);
        const old = this.values[j];
        if (deepEqual(cur, old)) continue;
        this.values[j] = cur;
        if (e.condition === null) this.change(from, e, old, cur);
        else {
          const was = this.truths[j];
          const now = this.truth(e, scope, from);
          this.truths[j] = now;
          if (!was && now) this.change(from, e, old, cur);
        }
      }
    }
    if (to === null) return;
    const next = this.scopeOf(to);
    const reread = scope !== next;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j];
      if (reread) this.values[j] = readRef(this.rt.store, next, e.ref);
      // Other keys of the condition may have changed since: "false before the write" is now.
      if (e.condition !== null) this.truths[j] = this.truth(e, next, to);
    }
  }

  /** The changes `node` made with its own writes, reported at its `after` boundary. */
  take(node: BtNode): WatchChange[] {
    const found = this.pending.get(node);
    if (found === undefined) return [];
    this.pending.delete(node);
    return [...found.values()];
  }

  private change(node: BtNode, entry: WatchEntry, oldValue: unknown, value: unknown): void {
    let byEntry = this.pending.get(node);
    if (byEntry === undefined) {
      byEntry = new Map();
      this.pending.set(node, byEntry);
    }
    const seen = byEntry.get(entry);
    // Several writes of one node (an LLM stream, say) make one change: first old, last new.
    if (seen !== undefined) seen.value = value;
    else byEntry.set(entry, { entry, oldValue, value });
  }

  private truth(e: WatchEntry, scope: LocalScope | null, node: BtNode): boolean {
    try {
      return truthy(e.test(scope)(this.rt));
    } catch (error) {
      this.onError(e, node, error);
      return false;
    }
  }
}
