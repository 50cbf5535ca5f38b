import { NODE_SPEC_BY_TYPE } from '../model/catalog';
import type { NodeJson, TreeDocument } from '../model/json';
import type { NodeChange } from '../model/runtime';
import type { RecordParts } from '../record/recorder';
import { IDLE, RUNNING } from '../status';
import type { BehaviorTree, HaltRecord } from '../tree/behavior-tree';
import { buildOn } from '../tree/build';
import type { BtNode } from '../tree/node';
import type { NodeState } from '../tree/state';

/** How a running tree gives way to a new one (DESIGN.md "Hot reload"). */
export type ReloadPolicy = 'let-finish-then-swap' | 'cancel-and-restart' | 'swap-now';

export const RELOAD_POLICIES: readonly ReloadPolicy[] = [
  'let-finish-then-swap',
  'cancel-and-restart',
  'swap-now',
];

export interface ReloadOptions {
  policy: ReloadPolicy;
  /** Name of the tree to run from `doc`; default the document's main tree. */
  tree?: string;
  /** Other documents whose trees `(subtree "name")` may reference. */
  library?: readonly TreeDocument[];
}

/** Node ids of the old and new trees: same id and node type (aliases resolved) are `kept`. */
export interface NodeDiff {
  added: string[];
  removed: string[];
  kept: string[];
}

/** What `TreeReload.apply` did. */
export interface ReloadResult extends NodeDiff {
  /** The tree to tick from now on; it keeps the old one's tick count. */
  tree: BehaviorTree;
  /**
   * What leaving the old tree changed outside a tick: nodes halted (async work cancelled),
   * semaphore slots released (`writes`, to be persisted by the host as after `halt()`).
   */
  released: HaltRecord;
}

const typeOf = (json: NodeJson): string => NODE_SPEC_BY_TYPE.get(json.type)?.type ?? json.type;

/**
 * A prepared reload: the new tree is built (so a document that does not build fails here, and
 * nothing of the old tree has changed), and the node diff is known. `apply` swaps; with
 * `let-finish-then-swap` the host applies it only once `ready` (the old run has finished).
 */
export class TreeReload implements NodeDiff {
  readonly added: string[] = [];
  readonly removed: string[] = [];
  readonly kept: string[] = [];
  private readonly next: BehaviorTree;
  /** For each new node (by index), the old node it keeps, or null. */
  private readonly pairs: (BtNode | null)[] = [];
  private applied = false;

  constructor(
    private readonly old: BehaviorTree,
    doc: TreeDocument,
    readonly options: ReloadOptions,
  ) {
    const o = old.internals();
    const library = options.library ?? [];
    this.next = buildOn(o.rt, doc, options.tree, library, o.clock, o.watchdog, o.limits);
    const n = this.next.internals();
    const byId = new Map<string, number>();
    o.nodes.forEach((node, i) => byId.set(node.id, i));
    const keptOld = new Set<number>();
    n.nodes.forEach((node, i) => {
      const j = byId.get(node.id);
      if (j !== undefined && typeOf(o.jsons[j]) === typeOf(n.jsons[i])) {
        this.pairs.push(o.nodes[j]);
        this.kept.push(node.id);
        keptOld.add(j);
      } else {
        this.pairs.push(null);
        this.added.push(node.id);
      }
    });
    o.nodes.forEach((node, j) => {
      if (!keptOld.has(j)) this.removed.push(node.id);
    });
  }

  /** Whether `apply` may run: always, except `let-finish-then-swap` while the old root runs. */
  get ready(): boolean {
    return this.options.policy !== 'let-finish-then-swap' || this.old.status !== 'RUNNING';
  }

  /**
   * Swaps, between ticks (a tick paused in the debugger is dropped first: it never happened).
   * `let-finish-then-swap` and `cancel-and-restart` start the new tree from its root (the old one
   * halted, if it still runs); `swap-now` carries the state of every kept node, an action in
   * flight included, and halts the rest of the old tree.
   */
  apply(): ReloadResult {
    if (this.applied) throw new Error('TreeReload.apply(): already applied');
    if (!this.ready) throw new Error('TreeReload.apply(): the old tree is still running');
    this.applied = true;
    const o = this.old.internals();
    o.abandonPaused();
    // Whatever the recorder holds belongs to no tick of either tree.
    o.take();
    const released = this.options.policy === 'swap-now' ? this.carry() : this.old.halt();
    const n = this.next.internals();
    n.setTickCount(this.old.tickCount);
    n.take();
    return { tree: this.next, added: this.added, removed: this.removed, kept: this.kept, released };
  }

  private carry(): HaltRecord {
    const o = this.old.internals();
    const n = this.next.internals();
    const states: (NodeState | undefined)[] = [];
    const lives: unknown[] = [];
    for (const kept of this.pairs) {
      states.push(kept?.save());
      lives.push(kept?.captureLive());
    }
    // Kept nodes must not be halted with the rest: marked idle (unrecorded; the old tree is
    // dropped), a halt walking down from a removed parent passes them by, their work untouched.
    for (const kept of this.pairs) if (kept !== null) kept.status = IDLE;
    for (const node of o.nodes) node.halt();
    const released = o.take();

    n.nodes.forEach((node, i) => {
      if (this.pairs[i] === null) return;
      node.load(states[i]);
      if (lives[i] !== undefined) node.reinstateLive(lives[i]);
    });
    // A RUNNING node is always under a RUNNING parent: one whose parent starts afresh would
    // never be resumed (nor halted) by it, so it is halted here, its work cancelled.
    const parents = parentsOf(n.nodes);
    for (const node of n.nodes) {
      const p = parents[node.index];
      if (node.status === RUNNING && p !== null && p.status !== RUNNING) node.halt();
    }
    return merge(released, n.take());
  }
}

/** Prepares the reload of `old` to `doc` (throws BuildError if it does not build). */
export function prepareReload(
  old: BehaviorTree,
  doc: TreeDocument,
  options: ReloadOptions,
): TreeReload {
  return new TreeReload(old, doc, options);
}

function parentsOf(nodes: readonly BtNode[]): (BtNode | null)[] {
  const out: (BtNode | null)[] = nodes.map(() => null);
  for (const node of nodes) for (const c of node.children) out[c.index] = node;
  return out;
}

function merge(a: RecordParts, b: RecordParts): HaltRecord {
  const nodes: NodeChange[] = [...a.nodes, ...b.nodes];
  return { nodes, writes: [...a.writes, ...b.writes], errors: [...a.errors, ...b.errors] };
}
