import Anthropic from '@anthropic-ai/sdk';
import type { LlmProvider, LlmRequest } from '@canopy/engine';
import OpenAI from 'openai';
import type { LlmConfig } from './config';

/** Anthropic's API requires a token limit; this one applies when the node gives none. */
export const DEFAULT_MAX_TOKENS = 1024;

/**
 * A provider for the engine's `llm-call`: streams the model's text through `onToken` (the engine
 * applies it between ticks), stops when the node's signal aborts (a halt, a timeout), and answers
 * the text with the tokens the call used. Retries of 429/5xx are the node's `:retries` (the SDKs'
 * own retries are off, so the node's timeout and retry count mean what they say).
 */
export function createProvider(config: LlmConfig, options: { openai?: OpenAI; anthropic?: Anthropic } = {}): LlmProvider {
  const modelOf = (req: LlmRequest): string => {
    const model = req.model ?? config.model;
    if (!model) throw new Error('no model: set CANOPY_LLM_MODEL or the node\'s :model');
    return model;
  };
  if (config.provider === 'openai') {
    let client = options.openai;
    return async (req, { signal, onToken }) => {
      const model = modelOf(req);
      client ??= new OpenAI({ maxRetries: 0 });
      const stream = await client.chat.completions.create(
        {
          model,
          messages: [...(req.system ? [{ role: 'system' as const, content: req.system }] : []), { role: 'user' as const, content: req.prompt }],
          ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      );
      let text = '';
      let tokens = 0;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) {
          text += delta;
          onToken(delta);
        }
        if (chunk.usage) tokens = chunk.usage.total_tokens;
      }
      // The SDK ends an aborted stream's iteration quietly: an aborted call must not look done.
      if (signal.aborted) throw new Error('the call was aborted');
      return { text, tokens };
    };
  }
  let client = options.anthropic;
  return async (req, { signal, onToken }) => {
    const model = modelOf(req);
    client ??= new Anthropic({ maxRetries: 0 });
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
    return { text, tokens: message.usage.input_tokens + message.usage.output_tokens };
  };
}

/** The provider the environment configures, or undefined (then `llm-call` reports that none is). */
export function providerFromEnv(config: LlmConfig | undefined): LlmProvider | undefined {
  return config === undefined ? undefined : createProvider(config);
}
