import { z } from 'zod';
import { StatusSchema } from './common';

/**
 * The debugger's contract (DESIGN.md "Debugging"): breakpoints, watches, steps and the paused
 * position, for the REST routes, the owner commands and the engine's host.
 */

export const BreakpointWhenSchema = z.enum(['before', 'after']);
export const BreakpointModeSchema = z.enum(['break', 'replace']);
export const StepModeSchema = z.enum(['into', 'over', 'out', 'continue']);
export type StepMode = z.infer<typeof StepModeSchema>;

/** Expressions in the tree language, e.g. `(< $battery 20)`. */
const ConditionSchema = z.string().trim().min(1).max(4096);

/** `POST /executions/:id/breakpoints`. */
export const CreateBreakpointRequestSchema = z
  .object({
    nodeId: z.string().min(1).max(512),
    /** `before` (default): stop before the node is ticked; `after`: when it has returned. */
    when: BreakpointWhenSchema.default('before'),
    /** `break` (default) stops; `replace` does not tick the node and returns `status` instead. */
    mode: BreakpointModeSchema.default('break'),
    status: z.enum(['SUCCESS', 'FAILURE', 'RUNNING']).optional(),
    /** Fires only when this expression over the blackboard (as seen at that point) is true. */
    condition: ConditionSchema.optional(),
    /** Removed after its first hit. */
    once: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .refine((b) => b.mode !== 'replace' || b.status !== undefined, {
    message: 'a replace breakpoint needs the status the node returns instead',
    path: ['status'],
  })
  .refine((b) => b.mode !== 'replace' || b.when === 'before', {
    message: 'replace happens instead of ticking the node: it can only be `before`',
    path: ['when'],
  });
export type CreateBreakpointRequest = z.infer<typeof CreateBreakpointRequestSchema>;

export const BreakpointSchema = z.object({
  id: z.string(),
  nodeId: z.string(),
  when: BreakpointWhenSchema,
  mode: BreakpointModeSchema,
  status: z.enum(['SUCCESS', 'FAILURE', 'RUNNING']).optional(),
  condition: z.string().optional(),
  once: z.boolean(),
  enabled: z.boolean(),
});
export type Breakpoint = z.infer<typeof BreakpointSchema>;

/** `POST /executions/:id/watches`: stop right after the node whose write changed `key`. */
export const CreateWatchRequestSchema = z.object({
  /** A blackboard key in the tree language: `battery`, `team:free`, `global:robot/pose/x`. */
  key: z.string().trim().min(1).max(512),
  /** Stop only when this turns true (it was false before the write): edge-triggered. */
  condition: ConditionSchema.optional(),
});
export type CreateWatchRequest = z.infer<typeof CreateWatchRequestSchema>;

export const WatchSchema = z.object({
  id: z.string(),
  key: z.string(),
  condition: z.string().optional(),
});
export type Watch = z.infer<typeof WatchSchema>;

export const StepRequestSchema = z.object({ mode: StepModeSchema });
export type StepRequest = z.infer<typeof StepRequestSchema>;

/**
 * `watchdog`: paused between ticks, after the tick that found `nodeId` stuck (action `pause`).
 * `record_too_large`: a scheduled tick's record would not fit in one NATS message; the tick was not
 * committed and the run paused instead of trying it again every second (fix the data, resume).
 */
export const PauseReasonSchema = z.enum(['breakpoint', 'step', 'watch', 'request', 'watchdog', 'record_too_large']);

/**
 * Where a paused execution stands. Mid-tick (`nodeId` and `when` set): at that node boundary of
 * tick `tick`, which is not committed yet. Between ticks (`reason: request`, or a step that ran a
 * whole tick): before tick `tick`.
 */
export const PausedAtSchema = z.object({
  tick: z.number().int().min(1),
  reason: PauseReasonSchema,
  nodeId: z.string().optional(),
  when: BreakpointWhenSchema.optional(),
  /** The node's status at an `after` boundary. */
  status: StatusSchema.optional(),
  breakpointId: z.string().optional(),
  watchId: z.string().optional(),
});
export type PausedAt = z.infer<typeof PausedAtSchema>;

/** `GET /executions/:id/debug`: the statuses and blackboard as they are at the paused point. */
export const DebugViewSchema = z.object({
  paused: z.boolean(),
  pausedAt: PausedAtSchema.optional(),
  statuses: z.record(z.string(), StatusSchema),
  /** Keyed by scope as the execution sees it: `global`, `team`, `exec`. */
  blackboard: z.object({
    global: z.record(z.string(), z.unknown()),
    team: z.record(z.string(), z.unknown()),
    exec: z.record(z.string(), z.unknown()),
  }),
  /** The local scopes the paused node sees (`local:<nodeId>`), innermost first; none between ticks. */
  locals: z.array(z.object({ scope: z.string(), values: z.record(z.string(), z.unknown()) })),
  breakpoints: z.array(BreakpointSchema),
  watches: z.array(WatchSchema),
});
export type DebugView = z.infer<typeof DebugViewSchema>;

/** The reply of a `DELETE .../breakpoints/:nodeId`: the hooks that were on the node. */
export const RemovedBreakpointsSchema = z.object({ removed: z.array(BreakpointSchema) });
export type RemovedBreakpoints = z.infer<typeof RemovedBreakpointsSchema>;

/** The reply of a `DELETE .../watches/:watchId`: the watch that was removed. */
export const RemovedWatchSchema = z.object({ removed: WatchSchema });
export type RemovedWatch = z.infer<typeof RemovedWatchSchema>;
