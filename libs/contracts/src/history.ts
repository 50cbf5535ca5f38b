import { z } from 'zod';
import { IdSchema, StatusSchema } from './common';
import { CheckpointSchema, ExecutionModeSchema } from './executions';

/**
 * The history service (`canopy.svc.history.*`, docs/history.md): requests, replies, and the REST
 * shapes of the gateway's history routes. Ticks are 1-based, like the engine's.
 */

const Tick = z.number().int().min(1);
const QueryTick = z.coerce.number().int().min(1);
const Limit = z.number().int().min(1).max(1000);

// ---- What history accepts from CANOPY_TICKS ----------------------------------------------------

const NodeChangeSchema = z.object({ id: z.string(), from: StatusSchema, to: StatusSchema });
const WriteRecordSchema = z.object({
  key: z.string(),
  scope: z.string(),
  old: z.unknown().optional(),
  new: z.unknown().optional(),
});

/** A `TickRecordMessage` as history checks it (unknown extra fields are kept). */
export const TickRecordMessageSchema = z.looseObject({
  execId: IdSchema,
  tree: z.string(),
  version: z.number().int(),
  runner: z.string(),
  epoch: z.number(),
  createdAt: z.string().optional(),
  initialBlackboard: z.record(z.string(), z.unknown()).optional(),
  tick: Tick,
  startedAt: z.number(),
  durationMs: z.number(),
  status: StatusSchema,
  nodes: z.array(NodeChangeSchema),
  writes: z.array(WriteRecordSchema),
  logs: z.array(z.unknown()),
  progress: z.array(z.object({ nodeId: z.string(), step: z.string(), percent: z.number() })),
  errors: z.array(z.unknown()),
  visits: z
    .array(z.object({ id: z.string(), status: StatusSchema, us: z.number().optional() }))
    .optional(),
  checkpoint: CheckpointSchema,
});

// ---- NATS requests -----------------------------------------------------------------------------

export const HistoryIdRequestSchema = z.object({ id: IdSchema });
export const HistoryListRequestSchema = z.object({
  id: IdSchema,
  from: Tick.optional(),
  to: Tick.optional(),
  limit: Limit.default(100),
});
export type HistoryListRequest = z.infer<typeof HistoryListRequestSchema>;
export const HistoryTimelineRequestSchema = HistoryListRequestSchema.extend({
  limit: Limit.default(1000),
});
export const HistoryTickRequestSchema = z.object({ id: IdSchema, tick: Tick });
export const HistoryDiffRequestSchema = z.object({ id: IdSchema, from: Tick, to: Tick });

const ForkFields = {
  fromTick: Tick,
  team: IdSchema.optional(),
  mode: ExecutionModeSchema.default('manual'),
  intervalMs: z.number().int().min(1).max(86_400_000).optional(),
  maxTicks: z.number().int().min(1).max(1_000_000_000).optional(),
};
/** `newId`: the forked execution's id (default: a new UUID). */
export const HistoryForkRequestSchema = z.object({
  id: IdSchema,
  newId: IdSchema.optional(),
  ...ForkFields,
});
export type HistoryForkRequest = z.infer<typeof HistoryForkRequestSchema>;

// ---- REST shapes (path and query values arrive as strings) ---------------------------------------

export const HistoryListQuerySchema = z.object({
  from: QueryTick.optional(),
  to: QueryTick.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const HistoryTimelineQuerySchema = HistoryListQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});
export const HistoryTickParamsSchema = z.object({ id: IdSchema, tick: QueryTick });
export const HistoryDiffQuerySchema = z.object({ from: QueryTick, to: QueryTick });
/** `POST /executions/:id/fork`; `id` names the new execution. */
export const ForkBodySchema = z.object({ id: IdSchema.optional(), ...ForkFields });

// ---- Replies -----------------------------------------------------------------------------------

export const TickSummarySchema = z.object({
  tick: z.number().int(),
  /** Clock time (ms) the tick started at: epoch ms on a runner. */
  startedAt: z.number(),
  durationMs: z.number(),
  status: StatusSchema,
  counts: z.object({
    nodes: z.number().int(),
    writes: z.number().int(),
    logs: z.number().int(),
    progress: z.number().int(),
    errors: z.number().int(),
  }),
  /** The llm-calls that finished in the tick (provider, model, tokens); absent when none did. */
  llm: z
    .array(z.object({ provider: z.string(), model: z.string(), inputTokens: z.number().int(), outputTokens: z.number().int() }))
    .optional(),
});
export type TickSummary = z.infer<typeof TickSummarySchema>;

/** By record scope (`exec`, `team`, `global`, `local:<nodeId>`), then key. */
export const BlackboardStateSchema = z.record(z.string(), z.record(z.string(), z.unknown()));
export type BlackboardState = z.infer<typeof BlackboardStateSchema>;

export const TickStateSchema = z.object({
  execId: z.string(),
  tick: z.number().int(),
  tree: z.string(),
  version: z.number().int(),
  status: StatusSchema,
  /** Every node of the tree (or every node history has seen, when the tree cannot be read). */
  statuses: z.record(z.string(), StatusSchema),
  blackboard: BlackboardStateSchema,
  checkpoint: CheckpointSchema,
  /** The tick's `TickRecordMessage`. */
  record: z.record(z.string(), z.unknown()),
  /** The keyframe the state was rebuilt from. */
  keyframeTick: z.number().int(),
});
export type TickState = z.infer<typeof TickStateSchema>;

export const TickDiffSchema = z.object({
  execId: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  /** Nodes whose status differs between the two ticks. */
  nodes: z.array(z.object({ id: z.string(), from: StatusSchema, to: StatusSchema })),
  /** Keys whose value differs; `from`/`to` absent = the key did not exist. */
  blackboard: z.array(
    z.object({
      scope: z.string(),
      key: z.string(),
      from: z.unknown().optional(),
      to: z.unknown().optional(),
    }),
  ),
});
export type TickDiff = z.infer<typeof TickDiffSchema>;

const StatusCountsSchema = z.object({
  IDLE: z.number().int(),
  RUNNING: z.number().int(),
  SUCCESS: z.number().int(),
  FAILURE: z.number().int(),
});

export const ExecutionStatsSchema = z.object({
  execId: z.string(),
  /** Retained ticks (what the numbers below are computed over). */
  ticks: z.number().int(),
  /** Every tick history stored for the execution, retained or not. */
  totalTicks: z.number().int(),
  firstTick: z.number().int(),
  lastTick: z.number().int(),
  /** Nearest-rank percentiles of the ticks' engine durations. */
  durationMs: z.object({
    p50: z.number(),
    p95: z.number(),
    p99: z.number(),
    mean: z.number(),
    max: z.number(),
  }),
  /** Root status after each retained tick. */
  statuses: StatusCountsSchema,
  /** Ticks that ended with the root SUCCESS / FAILURE. */
  success: z.number().int(),
  failure: z.number().int(),
  /** Runtime errors recorded (EXPR_TYPE, ACTION_FAILED, ...). */
  errors: z.number().int(),
  /**
   * Language-model usage over the retained ticks: finished llm-calls and their tokens, in all and
   * per provider and model. Absent when no retained tick recorded a call.
   */
  llm: z
    .object({
      calls: z.number().int(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      models: z.array(
        z.object({
          provider: z.string(),
          model: z.string(),
          calls: z.number().int(),
          inputTokens: z.number().int(),
          outputTokens: z.number().int(),
        }),
      ),
    })
    .optional(),
});
export type ExecutionStats = z.infer<typeof ExecutionStatsSchema>;

export const NodeStatsSchema = z.object({
  id: z.string(),
  type: z.string().optional(),
  name: z.string().optional(),
  visits: z.number().int(),
  /** Time spent: summed `us` of visits when the runner records timing, else clock time RUNNING. */
  timeMs: z.number(),
  /** How often the node ended a visit (or entered, for RUNNING) with each status. */
  statuses: StatusCountsSchema,
  /** SUCCESS / (SUCCESS + FAILURE); null before the node finished once. */
  successRate: z.number().nullable(),
});
export const NodeStatsReplySchema = z.object({
  execId: z.string(),
  ticks: z.number().int(),
  /** `visits`: from the records' visit lists; `status-changes`: derived (see docs/history.md). */
  source: z.enum(['visits', 'status-changes']),
  nodes: z.array(NodeStatsSchema),
});
export type NodeStatsReply = z.infer<typeof NodeStatsReplySchema>;

export const TimelineEntrySchema = z.object({
  tick: z.number().int(),
  startedAt: z.number(),
  status: StatusSchema,
  durationMs: z.number(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const BlackboardStatsSchema = z.object({
  execId: z.string(),
  ticks: z.number().int(),
  /** Reads are not in tick records: always false, and every `reads` is null. */
  readsRecorded: z.literal(false),
  keys: z.array(
    z.object({
      scope: z.string(),
      key: z.string(),
      writes: z.number().int(),
      reads: z.null(),
      lastWriteTick: z.number().int(),
    }),
  ),
});
export type BlackboardStats = z.infer<typeof BlackboardStatsSchema>;

export const ProgressSchema = z.object({
  execId: z.string(),
  /** The tick the answer is from. */
  tick: z.number().int(),
  step: z.string().nullable(),
  /** 0-100; null when neither marks nor a root sequence tell. */
  percent: z.number().nullable(),
  /** Clock time since the current run of the tree started, to the end of the last tick. */
  elapsedMs: z.number(),
  /** (100 - percent) / (percent / elapsedMs); 0 once done, null when unknown. */
  etaMs: z.number().nullable(),
  status: StatusSchema,
  /** `marks`: `(progress ...)` nodes; `sequence`: the root sequence's finished children. */
  source: z.enum(['marks', 'sequence', 'none']),
});
export type Progress = z.infer<typeof ProgressSchema>;

export const HistoryDeletedSchema = z.object({ deleted: z.literal(true), ticks: z.number().int() });
export type HistoryDeleted = z.infer<typeof HistoryDeletedSchema>;
