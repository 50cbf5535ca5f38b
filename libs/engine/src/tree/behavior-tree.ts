import { BuildError } from '../errors';
import type {
  Checkpoint,
  Clock,
  ErrorRecord,
  NodeChange,
  NodeInfo,
  Status,
  TickHooks,
  TickRecord,
  WriteRecord,
} from '../model/runtime';
import type { NodeJson } from '../model/json';
import { STATUS_NAMES } from '../status';
import { describeNodes } from './describe';
import { fingerprintOf } from './fingerprint';
import type { BtNode } from './node';
import type { Runtime } from './runtime';
import type { NodeState } from './state';

/** What `halt()` changed outside a tick; hosts persist the writes (released semaphores). */
export interface HaltRecord {
  nodes: NodeChange[];
  writes: WriteRecord[];
  errors: ErrorRecord[];
}

/** A built tree, ready to tick. Created by `buildTree`. */
export class BehaviorTree {
  private count = 0;
  private ticking = false;
  private readonly ids: readonly string[];
  // Made on first use: many trees are built only to be inspected or checked.
  private byIdMap: ReadonlyMap<string, BtNode> | undefined = undefined;
  private infos: readonly NodeInfo[] | undefined = undefined;
  private hash: string | undefined = undefined;

  /** @internal Use `buildTree`. */
  constructor(
    readonly name: string,
    private readonly rt: Runtime,
    private readonly root: BtNode,
    private readonly all: readonly BtNode[],
    /** The JSON each node was built from (documents are not to be mutated once built). */
    private readonly jsons: readonly NodeJson[],
    private readonly clock: Clock,
  ) {
    const ids: string[] = [];
    for (let i = 0; i < all.length; i++) ids.push(all[i].id);
    this.ids = ids;
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

  tick(): TickRecord {
    this.enter('tick');
    const t0 = performance.now();
    const rt = this.rt;
    try {
      rt.tick = ++this.count;
      rt.now = this.clock.now();
      const s = this.root.tick();
      const parts = rt.rec.take(this.ids);
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
      record.durationMs = performance.now() - t0;
      return record;
    } catch (e) {
      // Only host code throws here (a hook, the store): drop the half tick's events with it.
      rt.rec.take(this.ids);
      throw e;
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Halts everything: running nodes are halted (async work aborted, semaphores released) and
   * every node goes back to IDLE. Memories (memory composites, run-once, cooldown) are kept.
   * The changes are returned, since no tick record will carry them.
   */
  halt(): HaltRecord {
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
    this.enter('restore');
    try {
      const states = cp.nodes as Record<string, NodeState | undefined>;
      for (const n of this.all) {
        n.discard();
        n.load(Object.hasOwn(states, n.id) ? states[n.id] : undefined);
      }
      this.count = typeof cp.tick === 'number' ? cp.tick : 0;
      // Nothing that happened before the restore belongs to the next record.
      this.rt.rec.take(this.ids);
    } finally {
      this.ticking = false;
    }
  }

  private enter(what: string): void {
    if (this.ticking) throw new Error(`BehaviorTree.${what}() called during a tick`);
    this.ticking = true;
  }
}
