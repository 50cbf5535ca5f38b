import {
  type ActionOutcome,
  ActionRegistry,
  buildTree,
  ManualClock,
  MemoryBlackboard,
  type BehaviorTree,
  type BlackboardInit,
  type BuildOptions,
  type ExprJson,
  type NodeJson,
  type TickRecord,
  type TreeDocument,
  type TreeJson,
} from '../src';

export interface Attrs {
  id?: string;
  args?: ExprJson[];
  kw?: Record<string, ExprJson>;
}

/** `n('repeat', { kw: { times: 3 } }, child)` reads close to `(repeat :times 3 child)`. */
export function n(type: string, attrs: Attrs | NodeJson = {}, ...children: NodeJson[]): NodeJson {
  if ('type' in attrs) return n(type, {}, attrs as NodeJson, ...children);
  const a = attrs as Attrs;
  const out: NodeJson = { type };
  if (a.id !== undefined) out.id = a.id;
  if (a.args) out.args = a.args;
  if (a.kw) out.kwargs = a.kw;
  if (children.length > 0) out.children = children;
  return out;
}

export const v = (path: string): ExprJson => ({ $: path });
export const call = (op: string, ...args: ExprJson[]): ExprJson => ({ call: op, args });
export const sym = (name: string): ExprJson => ({ sym: name });
export const kw = (name: string): ExprJson => ({ kw: name });

export const ok = (): NodeJson => n('success');
export const fail = (): NodeJson => n('failure');
export const run = (): NodeJson => n('running');
export const cond = (e: ExprJson, id?: string): NodeJson => n('condition', { id, args: [e] });
export const set = (key: string, e: ExprJson, id?: string): NodeJson =>
  n('set', { id, args: [key, e] });
export const act = (name: string, args?: Record<string, ExprJson>, id?: string): NodeJson =>
  n('action', { id, args: [sym(name)], kw: args });

export function doc(root: NodeJson, ...more: TreeJson[]): TreeDocument {
  return { format: 'canopy/1', trees: [{ name: 'main', root }, ...more] };
}

export interface Harness {
  tree: BehaviorTree;
  bb: MemoryBlackboard;
  clock: ManualClock;
  actions: ActionRegistry;
  /** Ticks `count` times, advancing the clock by `stepMs` after each tick. */
  ticks(count: number, stepMs?: number): TickRecord[];
  status(id: string): string | undefined;
}

export interface HarnessOptions extends Omit<BuildOptions, 'blackboard' | 'clock' | 'actions'> {
  bb?: BlackboardInit | MemoryBlackboard;
  actions?: ActionRegistry;
  clock?: ManualClock;
}

export function harness(root: NodeJson | TreeDocument, opts: HarnessOptions = {}): Harness {
  const document = 'trees' in root ? root : doc(root);
  const bb = opts.bb instanceof MemoryBlackboard ? opts.bb : new MemoryBlackboard(opts.bb);
  const clock = opts.clock ?? new ManualClock(0);
  const actions = opts.actions ?? new ActionRegistry();
  const tree = buildTree(document, { ...opts, blackboard: bb, clock, actions });
  return {
    tree,
    bb,
    clock,
    actions,
    ticks(count, stepMs = 0) {
      const out: TickRecord[] = [];
      for (let i = 0; i < count; i++) {
        out.push(tree.tick());
        clock.advance(stepMs);
      }
      return out;
    },
    status: (id) => tree.statusOf(id),
  };
}

/** Records without wall-clock durations, for exact comparison. */
export function trace(records: TickRecord[]): Omit<TickRecord, 'durationMs'>[] {
  return records.map(({ durationMs: _d, ...rest }) => rest);
}

/** Root statuses of consecutive ticks, e.g. `['RUNNING', 'SUCCESS']`. */
export function statuses(records: TickRecord[]): string[] {
  return records.map((r) => r.status);
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A promise the test settles by hand. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * `(action st :key "k")` returns whatever exec key `k` holds when called: tests steer statuses
 * with it (arguments are evaluated once per run, so the action reads the store itself).
 */
export const st = (key: string, id: string): NodeJson => act('st', { key }, id);

/** A harness with the `st` action registered, visits recorded and exec keys preset. */
export function make(
  root: NodeJson | TreeDocument,
  exec: Record<string, unknown> = {},
  opts: HarnessOptions = {},
): Harness {
  const h = harness(root, { bb: { exec }, record: { visits: true }, ...opts });
  h.actions.register('st', (args) => h.bb.get('exec', args.key as string) as ActionOutcome);
  return h;
}

export function setExec(h: Harness, values: Record<string, unknown>): void {
  for (const [k, x] of Object.entries(values)) h.bb.set('exec', k, x);
}

/** Ticks once and returns the ids of the nodes ticked, in order. */
export function visited(h: Harness): string[] {
  return (h.tree.tick().visits ?? []).map((x) => x.id);
}
