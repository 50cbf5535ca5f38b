import { commonEnv, envInt, envPort, treeLimitsEnv } from '@canopy/service-kit';
import { DEFAULT_SHARD_COUNT, TICKS_PER_REQUEST_LIMIT } from '@canopy/contracts';
import { z } from 'zod';

/**
 * The gateway's environment. It keeps nothing in Redis and does not connect to it: commonEnv's
 * REDIS_URL is accepted (the deployments' shared environment sets it for every service) and unused.
 */
export const GatewayConfigSchema = z.object({
  ...commonEnv('gateway'),
  PORT: envPort(3000),
  /** Must equal the runners' SHARD_COUNT: it decides which command subject reaches an owner. */
  SHARD_COUNT: envInt(DEFAULT_SHARD_COUNT, { min: 1, max: 4096 }),
  /** How long one NATS request may take (a tick command waits for its ticks). */
  REQUEST_TIMEOUT_MS: envInt(5000, { min: 50, max: 600_000 }),
  BODY_LIMIT_BYTES: envInt(1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
  /**
   * How long owner commands are retried while the owner is away: no runner answers, or the runner
   * answers that it did not apply the command (the shard is moving, Redis is away).
   */
  OWNER_RETRY_BUDGET_MS: envInt(2000, { min: 0, max: 60_000 }),
  /** Live streams (WebSocket, SSE): events held per client before the oldest are skipped. */
  STREAM_QUEUE_LIMIT: envInt(1000, { min: 1, max: 1_000_000 }),
  /** Bytes a client's socket may hold unwritten before its events wait in its queue. */
  STREAM_BUFFER_BYTES: envInt(1024 * 1024, { min: 1024, max: 256 * 1024 * 1024 }),
  /** WebSocket ping (a peer that misses a pong is dropped) and SSE comment interval. */
  STREAM_HEARTBEAT_MS: envInt(15_000, { min: 100, max: 600_000 }),
  /**
   * Live streams (WebSocket and SSE together) one execution may have on this gateway; one more is
   * refused with 429 TOO_MANY_STREAM_CLIENTS before the upgrade.
   */
  STREAM_MAX_CLIENTS: envInt(100, { min: 1, max: 100_000 }),
  /** Largest `count` of `POST /executions/:id/tick`; more is 400 TOO_MANY_TICKS. */
  TICKS_PER_REQUEST_MAX: envInt(TICKS_PER_REQUEST_LIMIT, { min: 1, max: TICKS_PER_REQUEST_LIMIT }),
  /** The runners' tree limits: the gateway builds registered trees for its views with them. */
  ...treeLimitsEnv(),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** Injection token of the validated config. */
export const GATEWAY_CONFIG = Symbol('canopy.gateway.config');
