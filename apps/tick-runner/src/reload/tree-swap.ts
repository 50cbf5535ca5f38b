import type { Breakpoint, EventPayloads, ReloadPolicy } from '@canopy/contracts';
import {
  BuildError,
  prepareReload,
  type BehaviorTree,
  type TreeDocument,
  type TreeReload,
} from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import { persistentWrites, type ScopeWrite } from '../commit/commit-request';
import type { Execution } from '../executions/execution';
import type { ExecMeta } from '../executions/execution-meta';

/** A reload prepared on an execution's current tree: the new tree is built, nothing is applied. */
export interface PreparedSwap {
  reload: TreeReload;
  policy: ReloadPolicy;
  version: number;
  /** Versions of the registered trees the new document's subtrees resolve to. */
  library: Record<string, number>;
  preserveBlackboard: boolean;
}

/** What a swap changed, to be committed with the command's change or with the tick it starts. */
export interface AppliedSwap {
  /** The metadata fields a swap sets: to be spread over the next metadata. */
  meta: Pick<ExecMeta, 'version' | 'library' | 'pending'>;
  /** Semaphore slots the old tree released, and the cleared exec scope (preserveBlackboard false). */
  writes: ScopeWrite[];
  event: EventPayloads['tree_reloaded'];
  droppedBreakpoints: Breakpoint[];
  /** Whether the debugger's stored state changed (a paused tick dropped, breakpoints dropped). */
  debugChanged: boolean;
}

/** Prepares a reload of `tree`; a document the engine will not build is COMPILE_FAILED. */
export function prepareSwap(
  tree: BehaviorTree,
  doc: TreeDocument,
  library: readonly TreeDocument[],
  swap: Omit<PreparedSwap, 'reload'>,
): PreparedSwap {
  try {
    return { ...swap, reload: prepareReload(tree, doc, { policy: swap.policy, library }) };
  } catch (error) {
    if (error instanceof BuildError)
      throw new AppError(
        'COMPILE_FAILED',
        error.message,
        { node: error.nodeId },
        {},
        { cause: error },
      );
    throw error;
  }
}

/**
 * Swaps the execution to the prepared tree, in memory (between slots, or at the start of the tick
 * that runs the new tree): its tick count, id and history stay; a paused tick is dropped and the
 * debugger's hooks move to the new tree.
 */
export function applySwap(exec: Execution, swap: PreparedSwap): AppliedSwap {
  const fromVersion = exec.meta.version;
  const wasPaused = exec.debug?.dbg.paused;
  const result = swap.reload.apply();
  exec.tree = result.tree;
  exec.swap = undefined;
  let droppedBreakpoints: Breakpoint[] = [];
  const hadDebug = exec.debug !== undefined;
  if (exec.debug !== undefined) {
    const moved = exec.debug.moveTo(result.tree, wasPaused);
    exec.debug = moved.debug;
    droppedBreakpoints = moved.dropped as Breakpoint[];
  }
  const writes = persistentWrites(result.released.writes, exec.view.scopes);
  if (!swap.preserveBlackboard) writes.push(...clearExecScope(exec));
  return {
    meta: { version: swap.version, library: swap.library, pending: undefined },
    writes,
    event: {
      fromVersion,
      toVersion: swap.version,
      policy: swap.policy,
      tick: exec.meta.tick,
      added: result.added,
      removed: result.removed,
      kept: result.kept,
    },
    droppedBreakpoints,
    debugChanged: hadDebug,
  };
}

/** Deletes every key of the execution scope, in the cache at once (the next tick sees it) and as writes. */
function clearExecScope(exec: Execution): ScopeWrite[] {
  const view = exec.view;
  const keys = Object.keys(view.snapshot('exec'));
  for (const key of keys) view.delete('exec', key);
  return keys.map((key) => ({ scope: view.scopes.exec, key, deleted: true }));
}
