/**
 * The trees the chaos load runs. Every execution gets a tree of its own (named after it), because a
 * `set` key is a literal: the tree writes its own key in the global scope. Per tick, at the root:
 * - a check of a global key written over REST before the run (a runner reading a wrong global
 *   scope fails the tick, and the counters below fall behind the tick count);
 * - `exec:chaos-n` + 1: the per-tick counter, equal to the tick count when no tick is lost or doubled;
 * - `global:chaos-<id>` + 1: the same count in the shared global scope, written by this execution only.
 * `reactive-sequence` re-runs the counting children on every tick, also while a later child is RUNNING.
 */

/** Global keys written over REST before the load; they must be unchanged (value and version) after it. */
export const FIXED_GLOBALS: Record<string, unknown> = {
  'chaos-fixed-a': 'fixed-a',
  'chaos-fixed-b': { nested: [1, 2, 3], ok: true },
  'chaos-fixed-c': 42,
};

/** The exec-scope per-tick counter. */
export const COUNTER_KEY = 'chaos-n';

/** The execution's own key in the global scope. */
export const globalKeyOf = (execId: string) => `chaos-${execId}`;

export const treeNameOf = (execId: string) => `chaos-${execId}`;

/** The team whose executions contend for the semaphore, and the semaphore's team key. */
export const SEM_TEAM = 'chaos-sem';
export const SEM_NAME = 's';
export const SEM_MAX = 1;
export const SEM_KEY = `__semaphore:${SEM_NAME}`;

function counting(execId: string): string {
  const g = globalKeyOf(execId);
  return `(condition (= $global:chaos-fixed-a "fixed-a"))
    (set "exec:${COUNTER_KEY}" (+ (get "exec:${COUNTER_KEY}" 0) 1))
    (set "global:${g}" (+ (get "global:${g}" 0) 1))`;
}

/** The interval (and manual) load: counts, every tick. */
export function counterTree(execId: string): string {
  return `(tree "${treeNameOf(execId)}"
  (reactive-sequence
    ${counting(execId)}))
`;
}

/**
 * Counts every tick, and holds one of the team's `SEM_MAX` slots for ~150 ms when it gets one (a
 * full semaphore fails, the selector moves on and the tick succeeds).
 */
export function semaphoreTree(execId: string): string {
  return `(tree "${treeNameOf(execId)}"
  (reactive-sequence
    ${counting(execId)}
    (selector
      (semaphore :name "${SEM_NAME}" :max ${SEM_MAX}
        (sequence
          (set "exec:chaos-held" (+ (get "exec:chaos-held" 0) 1))
          (wait :ms 150)))
      (success))))
`;
}
