/** Which provider serves `(llm-call ...)`, read from the environment. */
export interface LlmConfig {
  provider: 'openai' | 'anthropic';
  /** The default model; a node's `:model` overrides it. */
  model?: string;
}

export const PROVIDERS = ['openai', 'anthropic'] as const;

/**
 * `CANOPY_LLM_PROVIDER` (`openai` | `anthropic`) and `CANOPY_LLM_MODEL`. Endpoints and keys are
 * each SDK's own variables (`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `ANTHROPIC_BASE_URL`,
 * `ANTHROPIC_API_KEY`), read by the SDK. Undefined when no provider is set; an unknown provider
 * is an error naming the variable.
 */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  const provider = env.CANOPY_LLM_PROVIDER?.trim();
  if (!provider) return undefined;
  if (!(PROVIDERS as readonly string[]).includes(provider))
    throw new Error(`CANOPY_LLM_PROVIDER must be ${PROVIDERS.join(' or ')}, not "${provider}"`);
  const model = env.CANOPY_LLM_MODEL?.trim();
  return { provider: provider as LlmConfig['provider'], ...(model ? { model } : {}) };
}
