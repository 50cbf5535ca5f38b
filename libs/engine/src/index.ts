export * from './model/json';
export * from './model/catalog';
export * from './model/runtime';
export { buildTree } from './tree/build';
export { validateTrees, type ValidateOptions } from './validate/validate-trees';
export {
  checkTreeLimits,
  DEFAULT_TREE_LIMITS,
  type LimitBreach,
  type TreeLimits,
} from './validate/tree-limits';
export { jsonPointer, type TreeIssue, type TreeIssueCode } from './validate/issue';
export { describeExpr, quoteString } from './validate/describe';
export { suggest } from './validate/suggest';
export { BehaviorTree, type HaltRecord } from './tree/behavior-tree';
export { BuildError, type BuildErrorCode } from './errors';
export { keyProblem } from './blackboard/keys';
export { MemoryBlackboard, type BlackboardInit } from './blackboard/memory-blackboard';
export { ActionRegistry } from './actions/action-registry';
export { ManualClock, systemClock } from './clock';
export { SEMAPHORE_KEY_PREFIX } from './nodes/decorators/semaphore';
export { Debugger } from './debug/debugger';
export { DebugError, type DebugErrorCode } from './debug/debug-error';
export type * from './debug/types';
export {
  prepareReload,
  TreeReload,
  RELOAD_POLICIES,
  type ReloadPolicy,
  type ReloadOptions,
  type ReloadResult,
  type NodeDiff,
} from './reload/reload-tree';
