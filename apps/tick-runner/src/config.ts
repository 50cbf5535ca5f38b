import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_SHARD_COUNT, EVENT_QUEUE_MAX_DEFAULT, ID_PATTERN } from '@canopy/contracts';
import { mcpServersFromEnv, PROVIDERS } from '@canopy/llm';
import { commonEnv, envInt, envPort, treeLimitsEnv } from '@canopy/service-kit';
import { z } from 'zod';

/**
 * The runner's environment. Defaults run the local stack; a bad value fails the boot naming the
 * variable (service-kit's loadConfig).
 */
export const RunnerConfigSchema = z.object({
  ...commonEnv('tick-runner'),
  /** HTTP port of /healthz, /readyz and /metrics. */
  PORT: envPort(3001),
  /** Virtual shards executions hash onto; every runner of a deployment must agree on it. */
  SHARD_COUNT: envInt(DEFAULT_SHARD_COUNT, { min: 1, max: 4096 }),
  /**
   * Lifetime of a shard lease and of a membership entry without renewal (renewed every third): a
   * crashed runner's shards move after at most this long (docs/reliability.md).
   */
  LEASE_TTL_MS: envInt(2000, { min: 300, max: 600_000 }),
  /** Default wait for a remote action's reply; a node's `:timeout-ms` overrides it. */
  ACTION_TIMEOUT_MS: envInt(30_000, { min: 1, max: 86_400_000 }),
  /** External events an execution may have waiting; one more is refused with EVENT_QUEUE_FULL (429). */
  EVENT_QUEUE_MAX: envInt(EVENT_QUEUE_MAX_DEFAULT, { min: 1, max: 100_000 }),
  /**
   * The language-model provider of `(llm-call ...)`: `openai` (OpenAI-compatible chat completions:
   * also Ollama, vLLM, llama.cpp) or `anthropic`; endpoint and key from each SDK's own variables
   * (OPENAI_BASE_URL, OPENAI_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY). Unset: llm-call fails.
   */
  CANOPY_LLM_PROVIDER: z.enum(PROVIDERS).optional(),
  /** The default model; a node's `:model` overrides it. */
  CANOPY_LLM_MODEL: z.string().trim().min(1).optional(),
  /** SDK retries of a 429/5xx answer, with backoff (default 2). */
  CANOPY_LLM_RETRIES: envInt(2, { min: 0, max: 10 }),
  /**
   * Tokens (input + output) one team's llm-calls may use in all, counted in Redis across runners;
   * then they fail with BUDGET_EXCEEDED. 0 (the default): no team budget.
   */
  TEAM_LLM_TOKEN_BUDGET: envInt(0, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  /**
   * MCP servers of `(mcp-tool SERVER TOOL ...)`, a JSON object by name: `{"name": {"url": ...}}`
   * (streamable HTTP) or `{"name": {"command": ..., "args": [...]}}` (stdio). Unset: none.
   */
  CANOPY_MCP_SERVERS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return mcpServersFromEnv({ CANOPY_MCP_SERVERS: text });
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Tree size, depth and expression limits, checked when a tree is registered and built. */
  ...treeLimitsEnv(),
  /**
   * Executions one team may have (any state, until deleted); one more is refused with
   * TEAM_EXECUTION_LIMIT (429). Counted in Redis, so it holds across runners.
   */
  TEAM_MAX_EXECUTIONS: envInt(1000, { min: 1, max: 10_000_000 }),
  /**
   * Share of scheduled ticks (interval, auto, event: root spans) traced; a tick a request caused
   * (REST tick, step, trigger) follows the request's trace. OTEL_TRACES_SAMPLER overrides it.
   */
  TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(0.01),
  /** Unique per process; defaults to hostname-pid-random. */
  RUNNER_ID: z.string().trim().regex(ID_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 _ -' }).optional(),
});
export type RunnerConfig = z.infer<typeof RunnerConfigSchema>;

export function defaultRunnerId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Injection token of the validated config. */
export const RUNNER_CONFIG = Symbol('canopy.tick-runner.config');
