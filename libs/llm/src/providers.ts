import Anthropic from '@anthropic-ai/sdk';
import type { LlmProvider, LlmRequest, LlmResult, LlmTool } from '@canopy/engine';
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
        messages: openaiMessages(req),
        ...(req.tools ? { tools: req.tools.map(openaiTool) } : {}),
        ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal },
    );
    let text = '';
    let inputTokens = 0;
    let outputTokens = 0;
    // Tool calls stream in pieces keyed by index: the id and name first, the arguments in parts.
    const calls: { id: string; name: string; args: string }[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) {
        text += delta.content;
        onToken(delta.content);
      }
      for (const part of delta?.tool_calls ?? []) {
        const call = (calls[part.index] ??= { id: '', name: '', args: '' });
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name += part.function.name;
        if (part.function?.arguments) call.args += part.function.arguments;
      }
      if (chunk.usage) {
        inputTokens = chunk.usage.prompt_tokens;
        outputTokens = chunk.usage.completion_tokens;
      }
    }
    // The SDK ends an aborted stream's iteration quietly: an aborted call must not look done.
    if (signal.aborted) throw new Error('the call was aborted');
    const result: LlmResult = {
      text,
      tokens: inputTokens + outputTokens,
      usage: { provider: 'openai', model, inputTokens, outputTokens },
    };
    const made = calls.filter((c) => c !== undefined);
    if (made.length > 0) result.toolCalls = made.map((c) => ({ id: c.id, name: c.name, arguments: parseArguments(c.args) }));
    return result;
  };
}

type OpenAiMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** The conversation in chat-completions form: system, the messages, then the prompt (if any). */
function openaiMessages(req: LlmRequest): OpenAiMessage[] {
  const out: OpenAiMessage[] = req.system ? [{ role: 'system', content: req.system }] : [];
  for (const m of req.messages ?? []) {
    if (m.role === 'tool') out.push({ role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content });
    else if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else
      out.push({
        role: 'assistant',
        content: m.content,
        ...(m.toolCalls && m.toolCalls.length > 0
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: JSON.stringify(c.arguments ?? {}) },
              })),
            }
          : {}),
      });
  }
  if (req.prompt !== '') out.push({ role: 'user', content: req.prompt });
  return out;
}

function openaiTool(t: LlmTool): OpenAI.Chat.Completions.ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters ?? { type: 'object', properties: {} },
    },
  };
}

/** A tool call's arguments as JSON; the raw text when the model wrote something else. */
function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function anthropicCall(client: Anthropic): Call {
  return async (model, req, { signal, onToken }) => {
    const stream = client.messages.stream(
      {
        model,
        max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
        ...(req.system ? { system: req.system } : {}),
        ...(req.tools ? { tools: req.tools.map(anthropicTool) } : {}),
        messages: anthropicMessages(req),
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
    const result: LlmResult = {
      text,
      tokens: inputTokens + outputTokens,
      usage: { provider: 'anthropic', model, inputTokens, outputTokens },
    };
    const calls = message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: b.input }] : []));
    if (calls.length > 0) result.toolCalls = calls;
    return result;
  };
}

type AnthropicMessage = Anthropic.MessageParam;

/**
 * The conversation in messages form: assistant tool calls are `tool_use` blocks and tool results
 * `tool_result` blocks of one user message (consecutive results join, as the API requires).
 */
function anthropicMessages(req: LlmRequest): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const m of req.messages ?? []) {
    if (m.role === 'tool') {
      const block = { type: 'tool_result' as const, tool_use_id: m.toolCallId ?? '', content: m.content };
      const last = out[out.length - 1];
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result')) last.content.push(block);
      else out.push({ role: 'user', content: [block] });
    } else if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else
      out.push({
        role: 'assistant',
        content: [
          ...(m.content !== '' ? [{ type: 'text' as const, text: m.content }] : []),
          ...(m.toolCalls ?? []).map((c) => ({ type: 'tool_use' as const, id: c.id, name: c.name, input: c.arguments ?? {} })),
        ],
      });
  }
  if (req.prompt !== '') out.push({ role: 'user', content: req.prompt });
  return out;
}

function anthropicTool(t: LlmTool): Anthropic.Tool {
  return {
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    input_schema: (t.parameters ?? { type: 'object', properties: {} }) as Anthropic.Tool.InputSchema,
  };
}

/** The provider the environment configures, or undefined (then `llm-call` reports that none is). */
export function providerFromEnv(config: LlmConfig | undefined): LlmProvider | undefined {
  return config === undefined ? undefined : createProvider(config);
}
