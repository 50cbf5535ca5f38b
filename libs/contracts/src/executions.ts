import { z } from 'zod';
import { IdSchema, ScopedValuesSchema, StatusSchema } from './common';
import { ReloadPolicySchema, ReloadTreeRequestSchema } from './reload';
import { CreateBreakpointRequestSchema, CreateWatchRequestSchema, PausedAtSchema, StepModeSchema } from './debug';
import { CommandEventSchema } from './events';

export const ExecutionModeSchema = z.enum(['manual', 'auto', 'interval', 'event']);
export type ExecutionMode = z.infer<typeof ExecutionModeSchema>;
export const ExecutionStateSchema = z.enum(['created', 'running', 'paused', 'stopped', 'completed']);
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;

const IntervalMs = z.number().int().min(1).max(86_400_000);
const MaxTicks = z.number().int().min(1).max(1_000_000_000);
const BudgetMs = z.number().int().min(1).max(86_400_000);

/**
 * The execution's watchdog (DESIGN.md "Watchdog"): `stuckAfterMs` is the budget of every leaf
 * without its own `:stuck-after`; `action` applies to every stuck node (`report` by default).
 */
export const WatchdogSchema = z.object({
  stuckAfterMs: BudgetMs.optional(),
  action: z.enum(['report', 'fail', 'pause']).default('report'),
});
export type Watchdog = z.infer<typeof WatchdogSchema>;

/** The engine's `Checkpoint` (node state between ticks), as JSON from outside. */
export const CheckpointSchema = z.object({
  v: z.literal(1),
  fingerprint: z.string().min(1),
  tick: z.number().int().min(0),
  nodes: z.record(z.string(), z.unknown()),
});

/**
 * Where a forked execution starts (`POST /executions/:id/fork`, built by the history service): the
 * node state after tick `fromTick` of execution `from`. The new execution continues with tick
 * `fromTick + 1`; its exec scope is the request's `blackboard` (the values at that tick).
 */
export const ForkOriginSchema = z.object({
  from: IdSchema,
  fromTick: z.number().int().min(1),
  checkpoint: CheckpointSchema,
  /** The root's status after `fromTick`. */
  status: StatusSchema,
});
export type ForkOrigin = z.infer<typeof ForkOriginSchema>;

/** An execution's language-model defaults (`llm` at create): a node's `:provider`/`:model` win. */
export const ExecutionLlmSchema = z
  .object({
    provider: z.enum(['openai', 'anthropic']).optional(),
    model: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type ExecutionLlm = z.infer<typeof ExecutionLlmSchema>;

/** Tokens (input + output) the execution's llm-calls may use in all; then they fail BUDGET_EXCEEDED. */
export const LlmBudgetSchema = z.object({ tokens: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict();
export type LlmBudget = z.infer<typeof LlmBudgetSchema>;

export const CreateExecutionRequestSchema = z.object({
  tree: IdSchema,
  version: z.number().int().positive().optional(),
  id: IdSchema.optional(),
  blackboard: ScopedValuesSchema.optional(),
  team: IdSchema.optional(),
  mode: ExecutionModeSchema.default('manual'),
  intervalMs: IntervalMs.optional(),
  maxTicks: MaxTicks.optional(),
  watchdog: WatchdogSchema.optional(),
  /** An engine tick that takes longer emits `tick_overrun`. */
  tickBudgetMs: BudgetMs.optional(),
  /** Start from another execution's state instead of the tree's initial one. */
  fork: ForkOriginSchema.optional(),
  /** Move to each newly registered version of the tree (hot reload), with `followPolicy`. */
  follow: z.boolean().optional(),
  followPolicy: ReloadPolicySchema.optional(),
  llm: ExecutionLlmSchema.optional(),
  llmBudget: LlmBudgetSchema.optional(),
});
export type CreateExecutionRequest = z.infer<typeof CreateExecutionRequestSchema>;

export const ExecutionSchema = z.object({
  id: z.string(),
  tree: z.string(),
  version: z.number().int(),
  team: z.string().optional(),
  mode: ExecutionModeSchema,
  intervalMs: z.number().optional(),
  maxTicks: z.number().optional(),
  watchdog: WatchdogSchema.optional(),
  tickBudgetMs: z.number().optional(),
  state: ExecutionStateSchema,
  status: StatusSchema,
  tick: z.number().int(),
  createdAt: z.string(),
  owner: z.string().optional(),
  follow: z.boolean().optional(),
  followPolicy: ReloadPolicySchema.optional(),
  llm: ExecutionLlmSchema.optional(),
  llmBudget: LlmBudgetSchema.optional(),
  /** Tokens the execution's finished llm-calls used so far (absent before the first). */
  llmTokens: z.number().int().optional(),
});
export type Execution = z.infer<typeof ExecutionSchema>;

/**
 * Most ticks one command may ask a runner for; the gateway's TICKS_PER_REQUEST_MAX (at most this)
 * refuses more with TOO_MANY_TICKS.
 */
export const TICKS_PER_REQUEST_LIMIT = 10_000;

/** `count` is bounded by the gateway's TICKS_PER_REQUEST_MAX, not here: more is TOO_MANY_TICKS. */
export const TickRequestSchema = z.object({
  count: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1),
});
export type TickRequest = z.infer<typeof TickRequestSchema>;
export const TickResponseSchema = z.object({
  tick: z.number().int(),
  status: StatusSchema,
  state: ExecutionStateSchema,
  /** Set when the ticks stopped at a breakpoint, a watch or a step: the reply comes at once. */
  pausedAt: PausedAtSchema.optional(),
  /**
   * Set when the request was cut short before all its ticks: `ticksDone` of the requested ticks
   * were done, and `interrupted` says why (`stopped`: the execution was stopped meanwhile).
   */
  ticksDone: z.number().int().min(0).optional(),
  interrupted: z.enum(['stopped']).optional(),
});
export type TickResponse = z.infer<typeof TickResponseSchema>;

/**
 * `details` of an error reply to a `tick` command that stopped part-way: OWNER_UNAVAILABLE (the
 * shard moved) or DEPENDENCY_UNAVAILABLE (Redis), after `ticksDone` of the requested ticks were
 * committed and published (none when absent). The gateway resends only `count - ticksDone`.
 */
export const TickInterruptedDetailsSchema = z.object({ ticksDone: z.number().int().min(0) });
export type TickInterruptedDetails = z.infer<typeof TickInterruptedDetailsSchema>;

export const StartRequestSchema = z.object({
  mode: z.enum(['auto', 'interval', 'event']),
  intervalMs: IntervalMs.optional(),
  maxTicks: MaxTicks.optional(),
  /** Replaces the stored watchdog / tick budget when given; kept otherwise. */
  watchdog: WatchdogSchema.optional(),
  tickBudgetMs: BudgetMs.optional(),
});
export type StartRequest = z.infer<typeof StartRequestSchema>;

/** Commands sent to the owning runner on `canopy.cmd.<shard>.<execId>`. */
export const CommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tick'), count: z.number().int().min(1).max(TICKS_PER_REQUEST_LIMIT) }),
  z.object({
    type: z.literal('start'),
    mode: StartRequestSchema.shape.mode,
    intervalMs: IntervalMs.optional(),
    maxTicks: MaxTicks.optional(),
    watchdog: WatchdogSchema.optional(),
    tickBudgetMs: BudgetMs.optional(),
  }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('get') }),
  z.object({ type: z.literal('load') }),
  z.object({ type: z.literal('unload') }),
  /** Wakes an event-mode execution; with `event`, queues that external event first (any mode). */
  z.object({ type: z.literal('trigger'), reason: z.string().max(256).optional(), event: CommandEventSchema.optional() }),
  z.object({ type: z.literal('debug') }),
  z.object({ type: z.literal('breakpoint.add'), breakpoint: CreateBreakpointRequestSchema }),
  z.object({ type: z.literal('breakpoint.remove'), nodeId: z.string().min(1).max(512) }),
  z.object({ type: z.literal('watch.add'), watch: CreateWatchRequestSchema }),
  z.object({ type: z.literal('watch.remove'), watchId: z.string().min(1).max(128) }),
  z.object({ type: z.literal('step'), mode: StepModeSchema }),
  z.object({ type: z.literal('reload'), reload: ReloadTreeRequestSchema }),
]);
export type Command = z.infer<typeof CommandSchema>;

export const ExecIdRequestSchema = z.object({ id: IdSchema });
export const ListExecutionsRequestSchema = z.object({
  tree: z.string().optional(),
  state: ExecutionStateSchema.optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
