import Anthropic from '@anthropic-ai/sdk';
import type { LlmProvider, LlmRequest, LlmResult } from '@canopy/engine';
import OpenAI from 'openai';
import { DEFAULT_RETRIES, PROVIDERS, type LlmConfig, type ProviderName } from './config';

/** Anthropic's API requires a token limit; this one applies when the node gives none. */
export const DEFAULT_MAX_TOKENS = 1024;

/** Clients to use instead of the ones made from the environment (tests, embedding hosts). */
export interface ProviderClients {
  openai?: OpenAI;
  anthropic?: Anthropic;
}

type Call = (model: string, req: LlmRequest, ctx: Parameters<LlmProvider>[1]) => Promise<LlmResult>;

/**
 * A provider for the engine's `llm-call`: streams the model's text through `onToken` (the engine
 * applies it between ticks), stops when the node's signal aborts (a halt, a timeout), and answers
 * the text with the usage the server reported. The request's `provider` (a node's `:provider`)
 * picks the API, else the configured one; `CANOPY_LLM_MODEL` is the model of the configured
 * provider only, so a node that switches provider names its `:model` too.
 *
 * 429 and 5xx answers are retried by the SDK itself (`retries` times, default 2, with its
 * exponential backoff and the server's `retry-after`), before any text streamed; the node's
 * `:retries` then starts whole new attempts, and its `:timeout-ms` bounds all of it.
 */
export function createProvider(config: LlmConfig, clients: ProviderClients = {}): LlmProvider {
  const maxRetries = config.retries ?? DEFAULT_RETRIES;
  const calls: Partial<Record<ProviderName, Call>> = {};
  const callOf = (name: ProviderName): Call => {
    if (name === 'openai') return (calls.openai ??= openaiCall(clients.openai ?? new OpenAI({ maxRetries })));
    return (calls.anthropic ??= anthropicCall(clients.anthropic ?? new Anthropic({ maxRetries })));
  };
  return async (req, ctx) => {
    const name = req.provider ?? config.provider;
    if (name === undefined)
      throw new Error("no language-model provider: set CANOPY_LLM_PROVIDER or the node's :provider");
    if (!(PROVIDERS as readonly string[]).includes(name))
      throw new Error(`unknown provider "${name}": use ${PROVIDERS.join(' or ')}`);
    const model = req.model ?? (name === config.provider ? config.model : undefined);
    if (!model)
      throw new Error(
        name === config.provider
          ? "no model: set CANOPY_LLM_MODEL or the node's :model"
          : `no model for provider "${name}": give the node's :model`,
      );
    return callOf(name as ProviderName)(model, req, ctx);
  };
}

function openaiCall(client: OpenAI): Call {
  return async (model, req, { signal, onToken }) => {
    const stream = await client.chat.completions.create(
      {
        model,
        messages: [
          ...(req.system ? [{ role: 'system' as const, content: req.system }] : []),
          { role: 'user' as const, content: req.prompt },
        ],
        ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal },
    );
    let text = '';
    let inputTokens = 0;
    let outputTokens = 0;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        text += delta;
        onToken(delta);
      }
      if (chunk.usage) {
        inputTokens = chunk.usage.prompt_tokens;
        outputTokens = chunk.usage.completion_tokens;
      }
    }
    // The SDK ends an aborted stream's iteration quietly: an aborted call must not look done.
    if (signal.aborted) throw new Error('the call was aborted');
    return {
      text,
      tokens: inputTokens + outputTokens,
      usage: { provider: 'openai', model, inputTokens, outputTokens },
    };
  };
}

function anthropicCall(client: Anthropic): Call {
  return async (model, req, { signal, onToken }) => {
    const stream = client.messages.stream(
      {
        model,
        max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
        ...(req.system ? { system: req.system } : {}),
        messages: [{ role: 'user', content: req.prompt }],
      },
      { signal },
    );
    stream.on('text', (delta) => onToken(delta));
    // The request's own signal does not end a stream already flowing: abort it explicitly.
    const abort = () => stream.abort();
    signal.addEventListener('abort', abort, { once: true });
    let message: Anthropic.Message;
    try {
      message = await stream.finalMessage();
    } finally {
      signal.removeEventListener('abort', abort);
    }
    if (signal.aborted) throw new Error('the call was aborted');
    const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const { input_tokens: inputTokens, output_tokens: outputTokens } = message.usage;
    return {
      text,
      tokens: inputTokens + outputTokens,
      usage: { provider: 'anthropic', model, inputTokens, outputTokens },
    };
  };
}

/** The provider the environment configures, or undefined (then `llm-call` reports that none is). */
export function providerFromEnv(config: LlmConfig | undefined): LlmProvider | undefined {
  return config === undefined ? undefined : createProvider(config);
}
