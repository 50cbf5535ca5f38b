import type { ExternalEvent, Status, TickRecord } from '../model/runtime';

/** The shapes of the debugger's API; the same as the contracts' Breakpoint, Watch and PausedAt. */

export type BreakpointWhen = 'before' | 'after';
export type BreakpointMode = 'break' | 'replace';
export type ReplaceStatus = 'SUCCESS' | 'FAILURE' | 'RUNNING';

/** A hook on a node boundary (DESIGN.md "Debugging"). */
export interface DebugBreakpoint {
  id: string;
  nodeId: string;
  when: BreakpointWhen;
  /** `break` stops there; `replace` (before only) does not tick the node: it returns `status`. */
  mode: BreakpointMode;
  status?: ReplaceStatus;
  /** An expression in the tree language; the hook fires only when it is truthy. */
  condition?: string;
  /** Removed after its first hit. */
  once: boolean;
  /** Kept but inert when false. */
  enabled: boolean;
}

/** Stops right after the node whose own write changed `key` (or made `condition` turn true). */
export interface DebugWatch {
  id: string;
  /** As in the tree language: `battery`, `team:free`, `global:robot/pose/x`. */
  key: string;
  condition?: string;
}

/**
 * `into`: the next node boundary; `over`: from `before` a node, its `after` (from between ticks:
 * the whole tick); `out`: the `after` of the paused node's parent; `continue`: the next hit or the
 * tick's end. Breakpoints and watches stop every mode.
 */
export type StepMode = 'into' | 'over' | 'out' | 'continue';

export type PauseReason = 'breakpoint' | 'step' | 'watch' | 'request' | 'watchdog';

/** Where a paused tick stands: at a node boundary of tick `tick`, which has not happened yet. */
export interface PausedAt {
  tick: number;
  reason: PauseReason;
  nodeId?: string;
  when?: BreakpointWhen;
  /** The node's status at an `after` boundary. */
  status?: Status;
  breakpointId?: string;
  watchId?: string;
}

/** What a step met on its way; the host publishes these as events. */
export type DebugHit =
  | {
      kind: 'breakpoint';
      breakpointId: string;
      nodeId: string;
      when: BreakpointWhen;
      /** The node's status after it (an `after` hook), or the one a `replace` hook returned. */
      status?: Status;
    }
  | {
      kind: 'watch';
      watchId: string;
      key: string;
      /** Absent when the key did not exist (before) or was removed (after). */
      oldValue?: unknown;
      value?: unknown;
      nodeId: string;
      tick: number;
    };

/** A hook's condition that threw when evaluated: it counted as false. */
export interface DebugConditionError {
  nodeId: string;
  breakpointId?: string;
  watchId?: string;
  message: string;
}

export type DebugOutcome =
  | {
      kind: 'completed';
      /** What `tree.tick()` would have returned for this tick. */
      record: TickRecord;
      hits: DebugHit[];
      conditionErrors: DebugConditionError[];
    }
  | {
      /** Stopped at a boundary: nothing of the tick is applied yet. */
      kind: 'paused';
      at: PausedAt;
      hits: DebugHit[];
      conditionErrors: DebugConditionError[];
    };

/** The persistent scopes as the tree sees them. */
export interface BlackboardView {
  global: Record<string, unknown>;
  team: Record<string, unknown>;
  exec: Record<string, unknown>;
}

/** A subtree's or for-each's own scope: its arguments or loop variable. */
export interface LocalView {
  /** `local:<nodeId>`, as in write records. */
  scope: string;
  values: Record<string, unknown>;
}

export interface DebugView {
  statuses: Record<string, Status>;
  blackboard: BlackboardView;
  /** The local scopes the paused node sees, innermost first (none between ticks). */
  locals: LocalView[];
}

/** A store write of the paused tick, not applied to the host's store yet. */
export interface PendingWrite {
  scope: 'global' | 'team' | 'exec';
  key: string;
  /** Absent for a removal. */
  value?: unknown;
}

/**
 * Everything a host persists to resume a paused tick in another process (plain JSON). It goes
 * with the tree's last committed checkpoint, which is the paused tick's start state.
 */
export interface DebugState {
  v: 1;
  breakpoints: DebugBreakpoint[];
  watches: DebugWatch[];
  paused?: PausedTick;
}

export interface PausedTick {
  at: PausedAt;
  /** Fingerprint of the tree, which must be the same when restored. */
  fingerprint: string;
  /** Index of the boundary the tick stopped at (each node ticked has a before and an after). */
  boundary: number;
  /** The tick's clock time, read once when it began. */
  now: number;
  /** The tick's external events, when it was given any: every run of it sees the same. */
  events?: ExternalEvent[];
  /** `[boundary, status]` of the `replace` hooks applied before the pause. */
  replaced: [number, ReplaceStatus][];
  /** The scopes as they were when the tick began: the rest of the tick reads these. */
  snapshot: BlackboardView;
  /** The tick's store writes so far (shown by `view()`, redone by the re-run). */
  writes: PendingWrite[];
  /** Node statuses at the pause. */
  statuses: Record<string, Status>;
  /** The local scopes the paused node sees, at the pause. */
  locals: LocalView[];
}
