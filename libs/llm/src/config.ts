export const PROVIDERS = ['openai', 'anthropic'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** SDK retries of a 429/5xx answer when `CANOPY_LLM_RETRIES` is not set. */
export const DEFAULT_RETRIES = 2;

/** Which provider serves `(llm-call ...)`, read from the environment. */
export interface LlmConfig {
  /**
   * The default provider; a node's `:provider` (or an execution's `llm.provider`) overrides it.
   * Absent: only calls that name their provider can be made.
   */
  provider?: ProviderName;
  /** The default model of `provider`; a node's `:model` overrides it. */
  model?: string;
  /** SDK retries of 429/5xx answers, with backoff (default DEFAULT_RETRIES). */
  retries?: number;
}

/**
 * `CANOPY_LLM_PROVIDER` (`openai` | `anthropic`), `CANOPY_LLM_MODEL` and `CANOPY_LLM_RETRIES`.
 * Endpoints and keys are each SDK's own variables (`OPENAI_BASE_URL`, `OPENAI_API_KEY`,
 * `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`), read by the SDK. Undefined when no provider is set;
 * an unknown provider or a bad retry count is an error naming the variable.
 */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  const provider = env.CANOPY_LLM_PROVIDER?.trim();
  if (!provider) return undefined;
  if (!(PROVIDERS as readonly string[]).includes(provider))
    throw new Error(`CANOPY_LLM_PROVIDER must be ${PROVIDERS.join(' or ')}, not "${provider}"`);
  const model = env.CANOPY_LLM_MODEL?.trim();
  const retriesText = env.CANOPY_LLM_RETRIES?.trim();
  const retries = retriesText ? Number(retriesText) : undefined;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 10))
    throw new Error(`CANOPY_LLM_RETRIES must be an integer from 0 to 10, not "${retriesText}"`);
  return {
    provider: provider as ProviderName,
    ...(model ? { model } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}
