import { commonEnv, envHttpUrl, envInt, envPort, treeLimitsEnv } from '@canopy/service-kit';
import { DEFAULT_SHARD_COUNT, TICKS_PER_REQUEST_LIMIT } from '@canopy/contracts';
import { resolve } from 'node:path';
import { z } from 'zod';

/** A comma-separated list, empty or absent meaning none. */
const envList = () =>
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );

/**
 * The gateway's environment. Its Redis (REDIS_URL) holds API keys and rate-limit counters only;
 * executions, trees and the blackboard are reached over NATS. Auth: docs/security.md.
 */
export const GatewayConfigSchema = z.object({
  ...commonEnv('gateway'),
  PORT: envPort(3000),
  /** Must equal the runners' SHARD_COUNT: it decides which command subject reaches an owner. */
  SHARD_COUNT: envInt(DEFAULT_SHARD_COUNT, { min: 1, max: 4096 }),
  /** How long one NATS request may take (a tick command waits for its ticks). */
  REQUEST_TIMEOUT_MS: envInt(5000, { min: 50, max: 600_000 }),
  /**
   * A `tick {count}` waits REQUEST_TIMEOUT_MS plus this per tick for its reply: a request for the
   * most ticks runs for seconds, and must not be answered 503 while its ticks are still applied.
   */
  TICK_REPLY_MS_PER_TICK: envInt(5, { min: 0, max: 10_000 }),
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
  /** Studio's built files (`nx build studio`), served at /studio. */
  STUDIO_DIR: z.string().min(1).default(resolve(process.cwd(), 'dist/apps/studio')),
  /**
   * `off` serves every request as an anonymous admin (and logs a warning at start): only for a
   * gateway nobody else can reach. Anything but the exact word `off` is refused, so a typo cannot
   * switch auth off.
   */
  CANOPY_AUTH: z.enum(['on', 'off']).default('on'),
  /** A key that is always accepted as an unrestricted admin (bootstrap; create the others with it). */
  CANOPY_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  /** HS256 secret of JWT bearer tokens. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** JWKS URL whose keys verify JWT bearer tokens (RS256, ES256, EdDSA, ...). */
  JWT_JWKS_URL: envHttpUrl().optional(),
  /** When set, a token's `iss` must equal it. */
  JWT_ISSUER: z.string().min(1).optional(),
  /** When set, a token's `aud` must include it. */
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** Requests one key (or token subject) may make per RATE_LIMIT_WINDOW_MS; 0 turns limits off. */
  RATE_LIMIT_MAX: envInt(6000, { min: 0, max: 100_000_000 }),
  RATE_LIMIT_WINDOW_MS: envInt(60_000, { min: 100, max: 86_400_000 }),
  /** Origins allowed to call the gateway from a browser (CORS), comma-separated; empty: CORS off. */
  CORS_ORIGINS: envList(),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

/** Injection token of the validated config. */
export const GATEWAY_CONFIG = Symbol('canopy.gateway.config');
