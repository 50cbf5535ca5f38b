import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tool call the fake model makes: `arguments` is the JSON text it streams. */
export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One answer: text in pieces, then tool calls (streamed in each API's own form). */
export interface FakeAnswer {
  reply: string[];
  toolCalls?: FakeToolCall[];
  /** Hold this stream after its first piece until this resolves (instead of the server's `hold`). */
  hold?: Promise<void>;
}

/** What a fake model server was asked, and how it answers. */
export interface FakeLlm {
  /** Decides the answer from the request (the default: `reply`, no tool calls). */
  respond?: (request: Record<string, unknown>) => FakeAnswer;
  /** OpenAI: the base URL with `/v1`; Anthropic: the bare base URL (as each SDK expects). */
  url: string;
  requests: Record<string, unknown>[];
  /** The text the next calls stream, in these pieces. */
  reply: string[];
  /** Answer the next N requests with this HTTP status (a 429 or 5xx) instead of a stream. */
  failNext: { status: number; count: number };
  /** Hold each stream after its first piece until this resolves (a slow model). */
  hold?: Promise<void>;
  /** Requests whose client went away before the stream ended. */
  aborted: number;
  /**
   * Per conversation (the text of the first user message), how many streams were open at once at
   * most, and how many are open now: a call made twice at the same time shows as 2.
   */
  maxConcurrent: Record<string, number>;
  open: Record<string, number>;
  close(): Promise<void>;
}

type Kind = 'openai' | 'anthropic';

/**
 * A model server speaking the real wire format of the OpenAI chat completions API or the
 * Anthropic messages API with streaming (server-sent events), for tests: the providers under
 * test use the official SDKs against it, as they would against the real services.
 */
export async function startFakeLlm(kind: Kind): Promise<FakeLlm> {
  const state: FakeLlm = {
    url: '',
    requests: [],
    reply: ['Hel', 'lo'],
    failNext: { status: 0, count: 0 },
    aborted: 0,
    maxConcurrent: {},
    open: {},
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => void handle(kind, state, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = kind === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

async function handle(kind: Kind, state: FakeLlm, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const path = kind === 'openai' ? '/v1/chat/completions' : '/v1/messages';
  if (req.method !== 'POST' || req.url !== path) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
    return;
  }
  const request = JSON.parse(body) as Record<string, unknown>;
  state.requests.push(request);
  if (state.failNext.count > 0) {
    state.failNext.count--;
    // A short retry-after (which both SDKs honour) keeps retry tests fast.
    res
      .writeHead(state.failNext.status, { 'content-type': 'application/json', 'retry-after-ms': '10' })
      .end(JSON.stringify(kind === 'openai' ? { error: { message: 'overloaded', type: 'server_error' } } : { type: 'error', error: { type: 'overloaded_error', message: 'overloaded' } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let closed = false;
  const conversation = conversationOf(request);
  state.open[conversation] = (state.open[conversation] ?? 0) + 1;
  state.maxConcurrent[conversation] = Math.max(state.maxConcurrent[conversation] ?? 0, state.open[conversation]);
  res.on('close', () => {
    state.open[conversation]--;
    if (!res.writableEnded) {
      closed = true;
      state.aborted++;
    }
  });
  const answer = state.respond?.(request) ?? { reply: state.reply };
  const pieces = [...answer.reply];
  const toolCalls = answer.toolCalls ?? [];
  const hold = answer.hold ?? state.hold;
  const send = (event: string | undefined, data: unknown) =>
    res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  const model = String(request.model);
  const outputTokens = pieces.length;
  if (kind === 'openai') {
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1_796_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: null, ...extra }],
    });
    send(undefined, chunk({ role: 'assistant', content: '' }));
    for (const [i, piece] of pieces.entries()) {
      send(undefined, chunk({ content: piece }));
      if (i === 0 && hold) await hold;
      if (closed) return;
    }
    for (const [index, call] of toolCalls.entries()) {
      send(undefined, chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
      // The arguments arrive in two parts, as real servers split them.
      const half = Math.floor(call.arguments.length / 2);
      for (const part of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        send(undefined, chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
      }
    }
    send(undefined, chunk({}, { finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }));
    send(undefined, { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_796_000_000, model, choices: [], usage: { prompt_tokens: 7, completion_tokens: outputTokens, total_tokens: 7 + outputTokens } });
    send(undefined, '[DONE]');
  } else {
    send('message_start', {
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: 7, output_tokens: 1 } },
    });
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (const [i, piece] of pieces.entries()) {
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
      if (i === 0 && hold) await hold;
      if (closed) return;
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    for (const [i, call] of toolCalls.entries()) {
      const index = i + 1;
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } });
      const half = Math.floor(call.arguments.length / 2);
      for (const part of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    }
    const stopReason = toolCalls.length > 0 ? 'tool_use' : 'end_turn';
    send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
    send('message_stop', { type: 'message_stop' });
  }
  res.end();
}

/** The text of a request's first user message: what identifies one conversation in the tests. */
function conversationOf(request: Record<string, unknown>): string {
  const messages = Array.isArray(request.messages) ? (request.messages as { role?: string; content?: unknown }[]) : [];
  const first = messages.find((m) => m.role === 'user');
  const content = first?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? '').join('');
  return '';
}
