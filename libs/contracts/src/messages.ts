import type { Checkpoint, Status, TickRecord } from '@canopy/engine';
import { z } from 'zod';
import type { PausedAt } from './debug';
import type { Progress } from './history';

/** What goes out on `canopy.ticks.<execId>`: the engine's record plus where it came from. */
export interface TickRecordMessage extends TickRecord {
  execId: string;
  tree: string;
  version: number;
  /** Runner id and the fencing epoch it committed under. */
  runner: string;
  epoch: number;
  /**
   * The execution's `createdAt`: names its incarnation, so that records of an execution deleted and
   * created again under the same id are never mixed with the new one's (history, pictures).
   */
  createdAt?: string;
  /**
   * On an execution's first tick only: its exec scope before that tick (the blackboard it was
   * created with, and what was written over REST before), which no write of a tick records.
   */
  initialBlackboard?: Record<string, unknown>;
  /** Engine checkpoint after the tick: history keeps it for time travel and forks. */
  checkpoint: Checkpoint;
}

export const EVENT_TYPES = [
  'tick_start',
  'tick_complete',
  'node_update',
  'blackboard_update',
  'breakpoint_hit',
  'watch_hit',
  'execution_started',
  'execution_paused',
  'execution_resumed',
  'execution_stopped',
  'execution_completed',
  'node_stuck',
  'tick_overrun',
  'progress',
  'execution_progress',
  'tree_reloaded',
  'log',
  'error',
  'llm_chunk',
  'budget_exceeded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Payload of each derived event on `canopy.events.<execId>.<type>`. */
export interface EventPayloads {
  tick_start: { startedAt: number };
  tick_complete: { status: Status; durationMs: number; changes: number; writes: number };
  node_update: { nodeId: string; from: Status; to: Status };
  blackboard_update: { key: string; scope: string; value?: unknown; old?: unknown };
  breakpoint_hit: { breakpointId: string; nodeId: string; when: 'before' | 'after'; status?: Status };
  watch_hit: { watchId: string; key: string; oldValue?: unknown; value?: unknown; nodeId: string; tick: number };
  execution_started: { mode: string };
  /**
   * Where it stopped; absent for a pause between ticks asked by a client with no tick under way.
   * `error`: why the runner paused it itself (`PAYLOAD_TOO_LARGE` with `reason: record_too_large`).
   */
  execution_paused: { pausedAt?: PausedAt; error?: { code: string; message: string } };
  execution_resumed: { mode: string };
  execution_stopped: Record<string, never>;
  execution_completed: { status: Status };
  /**
   * Once per RUNNING episode of a node past its budget; `runningForMs` on the tick clock.
   * `action` is what was done: `fail` (halted, FAILURE in this tick), `pause`, or `report`.
   */
  node_stuck: {
    nodeId: string;
    runningSinceTick: number;
    runningForMs: number;
    budgetMs: number;
    action: 'report' | 'fail' | 'pause';
  };
  /** The engine time of tick `tick` exceeded the execution's `tickBudgetMs`. */
  tick_overrun: { tick: number; durationMs: number; budgetMs: number };
  /** A `(progress ...)` mark reached in the tick (the runner). */
  progress: { step: string; percent: number; nodeId: string };
  /**
   * The execution's progress as history computed it after storing the tick (docs/history.md,
   * "Progress and ETA"), published by history when percent, step or status change, and otherwise
   * at most every HISTORY_PROGRESS_EVENT_MS while ticks arrive (elapsed and ETA move every tick).
   */
  execution_progress: Omit<Progress, 'execId' | 'tick'>;
  /** `tick`: the last tick of the old tree (the new one runs from `tick + 1`). */
  tree_reloaded: {
    fromVersion: number;
    toVersion: number;
    policy: 'let-finish-then-swap' | 'cancel-and-restart' | 'swap-now';
    tick: number;
    added: string[];
    removed: string[];
    kept: string[];
  };
  log: { nodeId: string; message: string; values: unknown[] };
  error: { nodeId: string; code: string; message: string };
  /** Text an llm-call streamed into its key since the previous tick (at most one per node per tick). */
  llm_chunk: { nodeId: string; text: string };
  /** An llm-call failed because the execution's or the team's token budget is spent. */
  budget_exceeded: { nodeId: string; message: string };
}

/** An event as published on `canopy.events.<execId>.<type>`, as a subscriber checks it. */
export const EventEnvelopeSchema = z.looseObject({
  execId: z.string(),
  type: z.enum(EVENT_TYPES),
  tick: z.number().int().min(0),
  seq: z.number().int().min(0),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export interface EventEnvelope<T extends EventType = EventType> {
  execId: string;
  type: T;
  /** The tick the event belongs to (0 before the first tick). */
  tick: number;
  /** Position within the tick, so consumers can order events of one tick. */
  seq: number;
  at: string;
  data: EventPayloads[T];
}

/**
 * The event types of the all-executions stream (`GET /ws`, `GET /events`): what a list of
 * executions needs, a few per execution and run, never the per-node or per-tick firehose.
 */
export const ALL_EXECUTIONS_EVENT_TYPES = [
  'execution_started',
  'execution_paused',
  'execution_resumed',
  'execution_stopped',
  'execution_completed',
  'execution_progress',
  'tree_reloaded',
  'node_stuck',
  'breakpoint_hit',
] as const satisfies readonly EventType[];

/** `canopy.action.<name>` request. */
export const ActionRequestSchema = z.object({
  invocationId: z.string(),
  execId: z.string(),
  nodeId: z.string(),
  action: z.string(),
  args: z.record(z.string(), z.unknown()),
  /** Epoch ms after which the runner has given up on the reply. */
  deadline: z.number(),
});
export type ActionRequest = z.infer<typeof ActionRequestSchema>;

export const ActionReplySchema = z.object({
  status: z.enum(['SUCCESS', 'FAILURE']),
  /** Data for the node's `:into` key (JSON). */
  output: z.unknown().optional(),
  /** Why the handler failed (it threw): recorded as ACTION_FAILED with this message. */
  error: z.string().optional(),
});
export type ActionReply = z.infer<typeof ActionReplySchema>;

/** `canopy.action-cancel.<name>` broadcast. */
export const ActionCancelSchema = z.object({ invocationId: z.string() });
export type ActionCancel = z.infer<typeof ActionCancelSchema>;

/** Runner membership change announced on `canopy.runners.changed`. */
export interface RunnersChanged {
  runner: string;
  change: 'joined' | 'left';
}
