import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_SHARD_COUNT, ID_PATTERN } from '@canopy/contracts';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const defaultRunnerId = () =>
  `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`;

/** The runner's environment; every variable has a default that runs the local stack. */
export const RunnerEnvSchema = z.object({
  NATS_URL: z.string().min(1).default('nats://localhost:4222'),
  REDIS_URL: z.string().url().default('redis://localhost:6379'),
  /** HTTP port for /healthz, /readyz and /metrics. */
  PORT: int(0, 65535).default(3001),
  /** Virtual shards executions hash onto; every runner of a deployment must agree on it. */
  SHARD_COUNT: int(1, 4096).default(DEFAULT_SHARD_COUNT),
  /** How long a shard lease lives without renewal (renewed every third of it). */
  LEASE_TTL_MS: int(300, 600_000).default(5000),
  /** Default wait for a remote action's reply; a node's `:timeout-ms` overrides it. */
  ACTION_TIMEOUT_MS: int(1, 86_400_000).default(30_000),
  RUNNER_ID: z.string().regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ -').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
});

export type RunnerEnv = z.infer<typeof RunnerEnvSchema>;

export interface RunnerConfig {
  natsUrl: string;
  redisUrl: string;
  port: number;
  shardCount: number;
  leaseTtlMs: number;
  actionTimeoutMs: number;
  runnerId: string;
  logLevel: RunnerEnv['LOG_LEVEL'];
  otlpEndpoint?: string;
}

/** Reads and checks the environment; throws naming every bad variable. */
export function loadRunnerConfig(env: NodeJS.ProcessEnv = process.env): RunnerConfig {
  const parsed = RunnerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid tick-runner configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    natsUrl: e.NATS_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    shardCount: e.SHARD_COUNT,
    leaseTtlMs: e.LEASE_TTL_MS,
    actionTimeoutMs: e.ACTION_TIMEOUT_MS,
    runnerId: e.RUNNER_ID ?? defaultRunnerId(),
    logLevel: e.LOG_LEVEL,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}
