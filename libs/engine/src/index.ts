export * from './model/json';
export * from './model/catalog';
export * from './model/runtime';
export { buildTree } from './tree/build';
export { BehaviorTree, type HaltRecord } from './tree/behavior-tree';
export { BuildError, type BuildErrorCode } from './errors';
export { MemoryBlackboard, type BlackboardInit } from './blackboard/memory-blackboard';
export { ActionRegistry } from './actions/action-registry';
export { ManualClock, systemClock } from './clock';
