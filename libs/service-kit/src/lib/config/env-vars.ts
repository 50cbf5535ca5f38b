import { JSON_MAX_DEPTH_DEFAULT } from '@canopy/contracts';
import { DEFAULT_TREE_LIMITS, type TreeLimits } from '@canopy/engine';
import { z } from 'zod';

// Building blocks for a service's env schema. Each reads the raw string (loadConfig treats unset
// and empty alike, so the default applies) and says what a good value looks like when it fails.

export function envInt(defaultValue: number, range: { min?: number; max?: number } = {}) {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  const outOfRange = { error: `must be between ${min} and ${max}` };
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, { error: 'expected integer' })
    .transform(Number)
    .pipe(z.number().min(min, outOfRange).max(max, outOfRange))
    .default(defaultValue);
}

/** A TCP port; 0 asks the OS for a free one (tests). */
export function envPort(defaultValue: number) {
  return envInt(defaultValue, { min: 0, max: 65535 });
}

export function envBool(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .transform((value) => value === 'true' || value === '1')
    .default(defaultValue);
}

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value.trim()).protocol);
  } catch {
    return false;
  }
}

/** One NATS URL or a comma-separated list of them (a cluster). */
export function envNatsUrl(defaultValue: string) {
  return z
    .string()
    .refine((value) => value.split(',').every((url) => hasProtocol(url, ['nats:', 'tls:'])), {
      error: 'must be a nats:// URL',
    })
    .default(defaultValue);
}

export function envRedisUrl(defaultValue: string) {
  return z
    .string()
    .refine((value) => hasProtocol(value, ['redis:', 'rediss:']), {
      error: 'must be a redis:// URL',
    })
    .default(defaultValue);
}

export function envHttpUrl() {
  return z.string().refine((value) => hasProtocol(value, ['http:', 'https:']), {
    error: 'must be an http(s):// URL',
  });
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The variables every service reads, with defaults that run against the local stack. Spread into
 * a service's own schema: `z.object({ ...commonEnv('blackboard'), PORT: envPort(3002) })`.
 */
export function commonEnv(serviceName: string) {
  return {
    SERVICE_NAME: z.string().trim().min(1).default(serviceName),
    NATS_URL: envNatsUrl('nats://127.0.0.1:4222'),
    REDIS_URL: envRedisUrl('redis://127.0.0.1:6379'),
    /**
     * This service's NATS user (its subject permissions: libs/contracts broker-access.ts). Unset,
     * the service connects without credentials, as to an unauthenticated NATS.
     */
    NATS_USER: z.string().trim().min(1).optional(),
    NATS_PASSWORD: z.string().min(1).optional(),
    /** This service's Redis ACL user. Unset, it connects as Redis' `default` user. */
    REDIS_USERNAME: z.string().trim().min(1).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    /** The address the HTTP server listens on: loopback by default; `0.0.0.0` in containers. */
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    LOG_LEVEL: z
      .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
      .default('info'),
    OTEL_EXPORTER_OTLP_ENDPOINT: envHttpUrl().optional(),
    /** `Retry-After` of every 503 the service answers over HTTP. */
    RETRY_AFTER_SECONDS: envInt(5, { min: 1, max: 3600 }),
    /**
     * How long a stop (SIGTERM/SIGINT) may take: then the process ends whatever is still pending.
     * Kept well under Kubernetes' default 30 s grace period, so our own deadline fires first and
     * logs what was stuck.
     */
    SHUTDOWN_TIMEOUT_MS: envInt(10_000, { min: 100, max: 600_000 }),
    /**
     * Deepest JSON value accepted in an HTTP body or a handled NATS payload; deeper is 400
     * NESTING_TOO_DEEP before anything recursive touches it. The upper bound stays well inside what
     * `JSON.stringify` handles on Node's default stack.
     */
    JSON_MAX_DEPTH: envInt(JSON_MAX_DEPTH_DEFAULT, { min: 8, max: 2000 }),
  };
}

/** The validated values of `commonEnv`, which every service's config contains. */
export type CommonConfig = z.output<z.ZodObject<ReturnType<typeof commonEnv>>>;

/**
 * How big a tree may get (docs/security.md, Limits). The runners refuse larger trees when they
 * are registered and built; the gateway and history build registered trees for their views, so
 * set the same values on every runner, gateway and history process (like SHARD_COUNT).
 */
export function treeLimitsEnv() {
  return {
    /** Nodes of one tree with its subtrees expanded; more is 413 TREE_TOO_LARGE. */
    TREE_MAX_NODES: envInt(DEFAULT_TREE_LIMITS.maxNodes, { min: 1, max: 10_000_000 }),
    /**
     * Levels of one tree with its subtrees expanded; deeper is 400 NESTING_TOO_DEEP. Bounded so
     * that building and ticking (recursive over the tree) stay far from the stack's end.
     */
    TREE_MAX_DEPTH: envInt(DEFAULT_TREE_LIMITS.maxDepth, { min: 1, max: 1000 }),
    /** Terms of one expression; more is 413 EXPRESSION_TOO_LARGE. */
    EXPRESSION_MAX_TERMS: envInt(DEFAULT_TREE_LIMITS.maxExpressionTerms, { min: 1, max: 1_000_000 }),
  };
}

/** The engine's TreeLimits from a config that spreads `treeLimitsEnv()`. */
export function treeLimitsOf(config: {
  TREE_MAX_NODES: number;
  TREE_MAX_DEPTH: number;
  EXPRESSION_MAX_TERMS: number;
}): TreeLimits {
  return {
    maxNodes: config.TREE_MAX_NODES,
    maxDepth: config.TREE_MAX_DEPTH,
    maxExpressionTerms: config.EXPRESSION_MAX_TERMS,
  };
}
