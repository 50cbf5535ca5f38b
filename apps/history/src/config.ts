import { commonEnv, envBool, envInt, envPort, treeLimitsEnv } from '@canopy/service-kit';
import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The history service's environment (docs/history.md, Configuration). */
export const HistoryConfigSchema = z.object({
  ...commonEnv('history'),
  PORT: envPort(3003),
  /** A full keyframe every K ticks; deltas between. Bounds how many deltas a rebuild applies. */
  HISTORY_KEYFRAME_EVERY: envInt(50, { min: 1, max: 5000 }),
  /** Ticks kept per execution; older ones are dropped. */
  HISTORY_RETAIN_TICKS: envInt(1000, { min: 1, max: 10_000_000 }),
  /** Ticks whose start is older than this are dropped (by the tick's own `startedAt`). */
  HISTORY_RETAIN_MS: envInt(7 * DAY_MS, { min: 1000, max: 365 * DAY_MS }),
  /**
   * Consume tick records (and sweep retention). Exactly one replica may: a second would split one
   * execution's records between two processes. Others can answer queries (docs/history.md).
   */
  HISTORY_CONSUME: envBool(true),
  /** Tick records fetched per pull (and so at most in flight). */
  HISTORY_BATCH: envInt(100, { min: 1, max: 1000 }),
  /**
   * The tick consumer's ack wait: records a crashed history process held come back to the next
   * one after this. A live process keeps the records it holds with `working()` every third of it.
   */
  HISTORY_ACK_WAIT_MS: envInt(3000, { min: 1000, max: 600_000 }),
  /** How often executions that stopped ticking are checked for ticks past HISTORY_RETAIN_MS. */
  HISTORY_SWEEP_MS: envInt(60_000, { min: 100, max: DAY_MS }),
  /** Executions whose latest state is kept in memory, so a tick needs no read from Redis. */
  HISTORY_CACHE_EXECUTIONS: envInt(1000, { min: 1, max: 1_000_000 }),
  /**
   * `execution_progress` events go out at every change of percent, step or status, and otherwise
   * (elapsed and ETA only) at most this often per execution.
   */
  HISTORY_PROGRESS_EVENT_MS: envInt(1000, { min: 50, max: 600_000 }),
  /** Deadline of requests to the runners (tree reads, the fork's create). */
  REQUEST_TIMEOUT_MS: envInt(5000, { min: 50, max: 600_000 }),
  /** The runners' tree limits: history builds registered trees (to replay ticks) with them. */
  ...treeLimitsEnv(),
});
export type HistoryConfig = z.infer<typeof HistoryConfigSchema>;

/** Injection token of the validated config. */
export const HISTORY_CONFIG = Symbol('canopy.history.config');
