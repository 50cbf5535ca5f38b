import type { Execution, ExecutionLlm, ExecutionMode, ExecutionState, LlmBudget, ReloadPolicy, Watchdog } from '@canopy/contracts';
import type { Status, WatchdogOptions } from '@canopy/engine';

/**
 * Everything needed to resume an execution, besides its checkpoint and scopes. Stored as the Redis
 * hash `RedisKeys.execMeta(id)` with string fields.
 */
export interface ExecMeta {
  id: string;
  tree: string;
  version: number;
  team?: string;
  mode: ExecutionMode;
  intervalMs?: number;
  maxTicks?: number;
  /** Stuck-node budget and action (DESIGN.md "Watchdog"). */
  watchdog?: Watchdog;
  /** An engine tick longer than this emits `tick_overrun`. */
  tickBudgetMs?: number;
  state: ExecutionState;
  status: Status;
  tick: number;
  createdAt: string;
  /** The tick count when the current run started: `maxTicks` counts ticks since then. */
  runStartTick: number;
  /** Versions of other registered trees the document's subtrees were resolved to at creation. */
  library: Record<string, number>;
  /** Hot reload: move to each newly registered version of the tree, with `followPolicy`. */
  follow?: boolean;
  followPolicy?: ReloadPolicy;
  /** A let-finish-then-swap waiting for the current run to finish (survives a failover). */
  pending?: PendingSwap;
  /** Provider and model for llm-calls that name none. */
  llm?: ExecutionLlm;
  llmBudget?: LlmBudget;
  /** Tokens used by finished llm-calls, committed with the tick that recorded them. */
  llmTokens?: number;
}

/** The tree a pending let-finish-then-swap moves to. */
export interface PendingSwap {
  version: number;
  library: Record<string, number>;
  preserveBlackboard: boolean;
}

export function metaToHash(meta: ExecMeta): Record<string, string> {
  const hash: Record<string, string> = {
    id: meta.id,
    tree: meta.tree,
    version: String(meta.version),
    mode: meta.mode,
    state: meta.state,
    status: meta.status,
    tick: String(meta.tick),
    createdAt: meta.createdAt,
    runStartTick: String(meta.runStartTick),
    library: JSON.stringify(meta.library),
    team: meta.team ?? '',
    intervalMs: meta.intervalMs === undefined ? '' : String(meta.intervalMs),
    maxTicks: meta.maxTicks === undefined ? '' : String(meta.maxTicks),
    // Always written, so a commit that clears them clears them in Redis too.
    follow: meta.follow ? '1' : '',
    followPolicy: meta.followPolicy ?? '',
    pending: meta.pending === undefined ? '' : JSON.stringify(meta.pending),
    watchdog: meta.watchdog === undefined ? '' : JSON.stringify(meta.watchdog),
    tickBudgetMs: meta.tickBudgetMs === undefined ? '' : String(meta.tickBudgetMs),
    llm: meta.llm === undefined ? '' : JSON.stringify(meta.llm),
    llmBudget: meta.llmBudget === undefined ? '' : JSON.stringify(meta.llmBudget),
    llmTokens: meta.llmTokens === undefined ? '' : String(meta.llmTokens),
  };
  return hash;
}

const optionalNumber = (text: string | undefined) => (text ? Number(text) : undefined);

export function metaFromHash(hash: Record<string, string>): ExecMeta | undefined {
  if (!hash.id || !hash.tree) return undefined;
  return {
    id: hash.id,
    tree: hash.tree,
    version: Number(hash.version),
    team: hash.team || undefined,
    mode: hash.mode as ExecutionMode,
    intervalMs: optionalNumber(hash.intervalMs),
    maxTicks: optionalNumber(hash.maxTicks),
    watchdog: hash.watchdog ? (JSON.parse(hash.watchdog) as Watchdog) : undefined,
    tickBudgetMs: optionalNumber(hash.tickBudgetMs),
    state: hash.state as ExecutionState,
    status: (hash.status || 'IDLE') as Status,
    tick: Number(hash.tick ?? 0),
    createdAt: hash.createdAt,
    runStartTick: Number(hash.runStartTick ?? 0),
    library: hash.library ? (JSON.parse(hash.library) as Record<string, number>) : {},
    follow: hash.follow === '1' ? true : undefined,
    followPolicy: (hash.followPolicy || undefined) as ReloadPolicy | undefined,
    pending: hash.pending ? (JSON.parse(hash.pending) as PendingSwap) : undefined,
    llm: hash.llm ? (JSON.parse(hash.llm) as ExecutionLlm) : undefined,
    llmBudget: hash.llmBudget ? (JSON.parse(hash.llmBudget) as LlmBudget) : undefined,
    llmTokens: optionalNumber(hash.llmTokens),
  };
}

/** The public view of an execution. */
export function toExecution(meta: ExecMeta, owner?: string): Execution {
  const execution: Execution = {
    id: meta.id,
    tree: meta.tree,
    version: meta.version,
    mode: meta.mode,
    state: meta.state,
    status: meta.status,
    tick: meta.tick,
    createdAt: meta.createdAt,
  };
  if (meta.team !== undefined) execution.team = meta.team;
  if (meta.intervalMs !== undefined) execution.intervalMs = meta.intervalMs;
  if (meta.maxTicks !== undefined) execution.maxTicks = meta.maxTicks;
  if (meta.watchdog !== undefined) execution.watchdog = meta.watchdog;
  if (meta.tickBudgetMs !== undefined) execution.tickBudgetMs = meta.tickBudgetMs;
  if (owner !== undefined) execution.owner = owner;
  if (meta.llm !== undefined) execution.llm = meta.llm;
  if (meta.llmBudget !== undefined) execution.llmBudget = meta.llmBudget;
  if (meta.llmTokens !== undefined) execution.llmTokens = meta.llmTokens;
  if (meta.follow) {
    execution.follow = true;
    execution.followPolicy = meta.followPolicy ?? 'let-finish-then-swap';
  }
  return execution;
}

/** The engine's watchdog options for an execution. */
export function watchdogOf(meta: ExecMeta): WatchdogOptions {
  return { ...meta.watchdog, tickBudgetMs: meta.tickBudgetMs };
}
