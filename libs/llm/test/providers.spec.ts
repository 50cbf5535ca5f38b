import Anthropic from '@anthropic-ai/sdk';
import { ActionRegistry, buildTree, ManualClock, MemoryBlackboard, type LlmProvider, type TickRecord, type TreeDocument } from '@canopy/engine';
import OpenAI from 'openai';
import { createProvider, llmConfigFromEnv, type ProviderClients } from '../src';
import { startFakeLlm, waitFor, type FakeLlm } from '@canopy/testing';

const TREE = {
  format: 'canopy/1' as const,
  trees: [
    {
      name: 'ask',
      root: {
        type: 'llm-call',
        id: 'ask',
        kwargs: { prompt: { $: 'question' }, into: 'answer', system: 'Be brief.', 'max-tokens': 50 },
      },
    },
  ],
};

/** Ticks until the root finishes, letting the stream run between ticks (as a host does). */
async function run(llm: LlmProvider, question: string): Promise<{ records: TickRecord[]; bb: MemoryBlackboard }> {
  const bb = new MemoryBlackboard({ exec: { question } });
  const tree = buildTree(TREE, { blackboard: bb, clock: new ManualClock(0), actions: new ActionRegistry(), llm });
  const records: TickRecord[] = [];
  let woke: () => void = () => undefined;
  for (;;) {
    const r = tree.tick();
    records.push(r);
    if (r.status !== 'RUNNING') return { records, bb };
    await new Promise<void>((resolve) => {
      woke = resolve;
      setImmediate(resolve);
    });
    woke();
  }
}

function clientsFor(kind: 'openai' | 'anthropic', baseURL: string, maxRetries: number): ProviderClients {
  return kind === 'openai'
    ? { openai: new OpenAI({ baseURL, apiKey: 'sk-test', maxRetries }) }
    : { anthropic: new Anthropic({ baseURL, apiKey: 'sk-test', maxRetries }) };
}

describe.each(['openai', 'anthropic'] as const)('the %s provider against a server speaking its wire format', (kind) => {
  let server: FakeLlm;
  let provider: LlmProvider;
  beforeAll(async () => {
    server = await startFakeLlm(kind);
    provider = createProvider({ provider: kind, model: 'test-model' }, clientsFor(kind, server.url, 0));
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.reply = ['Hel', 'lo', ' there'];
  });

  it('streams the answer into the key and finishes with SUCCESS; the request carries model, system, prompt and limit', async () => {
    const { records, bb } = await run(provider, 'Say hello');
    expect(records[records.length - 1].status).toBe('SUCCESS');
    expect(bb.get('exec', 'answer')).toBe('Hello there');
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req).toMatchObject({ model: 'test-model', stream: true, max_tokens: 50 });
    if (kind === 'openai')
      expect(req.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ]);
    else {
      expect(req.system).toBe('Be brief.');
      expect(req.messages).toEqual([{ role: 'user', content: 'Say hello' }]);
    }
  });

  it('answers the tokens the call used, as the server counted them', async () => {
    let seen = '';
    const result = await provider({ prompt: 'x' }, { signal: new AbortController().signal, onToken: (t) => (seen += t) });
    expect(result).toEqual({
      text: 'Hello there',
      tokens: 7 + 3,
      usage: { provider: kind, model: 'test-model', inputTokens: 7, outputTokens: 3 },
    });
    expect(seen).toBe('Hello there');
  });

  it('an error status from the server fails the call with its message', async () => {
    server.failNext = { status: kind === 'anthropic' ? 529 : 503, count: 1 };
    await expect(provider({ prompt: 'x' }, { signal: new AbortController().signal, onToken: () => undefined })).rejects.toThrow(/overloaded/);
  });

  it('an abort (the node halted) ends the call at once, while the model is still streaming, and closes the connection', async () => {
    let release!: () => void;
    server.hold = new Promise((resolve) => (release = resolve));
    const abortedBefore = server.aborted;
    const controller = new AbortController();
    const call = provider({ prompt: 'x' }, { signal: controller.signal, onToken: () => controller.abort() });
    // The server holds the stream after its first piece: only the abort can end the call now.
    await expect(call).rejects.toThrow(/abort/i);
    // The server sees its client go away before the stream ended.
    await waitFor('the server to see the connection closed', () => server.aborted === abortedBefore + 1 || undefined);
    release();
    server.hold = undefined;
  });

  it('retries a 429 and a 5xx with the SDK\'s backoff, then streams the answer', async () => {
    const retrying = createProvider({ provider: kind, model: 'test-model', retries: 2 }, clientsFor(kind, server.url, 2));
    server.failNext = { status: 429, count: 1 };
    await expect(retrying({ prompt: 'x' }, { signal: new AbortController().signal, onToken: () => undefined })).resolves.toMatchObject({ text: 'Hello there' });
    expect(server.requests).toHaveLength(2);
    server.requests.length = 0;
    server.failNext = { status: 500, count: 3 };
    // Three failures are one more than two retries: the call fails with the server's message.
    await expect(retrying({ prompt: 'x' }, { signal: new AbortController().signal, onToken: () => undefined })).rejects.toThrow(/overloaded/);
    expect(server.requests).toHaveLength(3);
    server.failNext = { status: 0, count: 0 };
  });

  it('a request naming the other provider without a model says what to give', async () => {
    const other = kind === 'openai' ? 'anthropic' : 'openai';
    await expect(provider({ prompt: 'x', provider: other }, { signal: new AbortController().signal, onToken: () => undefined })).rejects.toThrow(`no model for provider "${other}": give the node's :model`);
    await expect(provider({ prompt: 'x', provider: 'gemini' }, { signal: new AbortController().signal, onToken: () => undefined })).rejects.toThrow('unknown provider "gemini": use openai or anthropic');
  });
});

const TOOLS_TREE: TreeDocument = {
  format: 'canopy/1',
  trees: [
    {
      name: 'tools',
      root: {
        type: 'sequence',
        id: 'seq',
        children: [
          {
            type: 'llm-call',
            id: 'ask',
            kwargs: { prompt: { $: 'question' }, into: 'first', conversation: 'chat', tools: { $: 'tools' }, 'tool-calls-into': 'calls' },
          },
          {
            type: 'llm-call',
            id: 'answer',
            kwargs: { prompt: null, into: 'final', conversation: 'chat', tools: { $: 'tools' }, 'tool-results': { $: 'results' }, 'tool-calls-into': 'more' },
          },
        ],
      },
    },
  ],
};

describe.each(['openai', 'anthropic'] as const)('tool calls with the %s provider, in its wire format', (kind) => {
  let server: FakeLlm;
  beforeAll(async () => {
    server = await startFakeLlm(kind);
    // The model calls the tool until the conversation carries a result, then answers.
    server.respond = (request) =>
      JSON.stringify(request.messages).includes('sunny')
        ? { reply: ['It is ', 'sunny.'] }
        : { reply: ['Let me check.'], toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] };
  });
  afterAll(() => server.close());

  it('leaves the tool calls on the blackboard, and sends the results back with the conversation on the next call', async () => {
    const llm = createProvider({ provider: kind, model: 'm' }, clientsFor(kind, server.url, 0));
    const tools = [{ name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const bb = new MemoryBlackboard({ exec: { question: 'Weather in Oslo?', tools, results: { call_1: 'sunny' } } });
    const tree = buildTree(TOOLS_TREE, { blackboard: bb, clock: new ManualClock(0), actions: new ActionRegistry(), llm });
    // Ticks while the calls stream (a host ticks again when a call settles; here every few ms).
    const status = await waitFor('the tree to finish', async () => {
      const s = tree.tick().status;
      if (s === 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 5));
      return s === 'RUNNING' ? undefined : s;
    });
    expect(status).toBe('SUCCESS');
    expect(bb.get('exec', 'calls')).toEqual([{ id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } }]);
    expect(bb.get('exec', 'more')).toEqual([]);
    expect(bb.get('exec', 'final')).toBe('It is sunny.');
    const call = { id: 'call_1', name: 'weather', arguments: { city: 'Oslo' } };
    expect(bb.get('exec', 'chat')).toEqual([
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: 'Let me check.', toolCalls: [call] },
      { role: 'tool', toolCallId: 'call_1', content: 'sunny' },
      { role: 'assistant', content: 'It is sunny.' },
    ]);
    expect(server.requests).toHaveLength(2);
    const second = server.requests[1];
    if (kind === 'openai') {
      expect(second.tools).toEqual([{ type: 'function', function: { name: 'weather', description: 'The weather in a city', parameters: tools[0].parameters } }]);
      expect(second.messages).toEqual([
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ]);
    } else {
      expect(second.tools).toEqual([{ name: 'weather', description: 'The weather in a city', input_schema: tools[0].parameters }]);
      expect(second.messages).toEqual([
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' }] },
      ]);
    }
  });
});

describe('per-call provider', () => {
  it("a request's provider and model (a node's :provider/:model) go to that API, the rest to the configured one", async () => {
    const openai = await startFakeLlm('openai');
    const anthropic = await startFakeLlm('anthropic');
    try {
      const p = createProvider(
        { provider: 'openai', model: 'gpt-default' },
        { ...clientsFor('openai', openai.url, 0), ...clientsFor('anthropic', anthropic.url, 0) },
      );
      const ctx = { signal: new AbortController().signal, onToken: () => undefined };
      const a = await p({ prompt: 'to anthropic', provider: 'anthropic', model: 'claude-x' }, ctx);
      const b = await p({ prompt: 'to openai' }, ctx);
      expect([a.usage?.provider, a.usage?.model, b.usage?.provider, b.usage?.model]).toEqual(['anthropic', 'claude-x', 'openai', 'gpt-default']);
      expect(anthropic.requests.map((r) => [r.model, JSON.stringify(r.messages)])).toEqual([['claude-x', JSON.stringify([{ role: 'user', content: 'to anthropic' }])]]);
      expect(openai.requests.map((r) => r.model)).toEqual(['gpt-default']);
    } finally {
      await openai.close();
      await anthropic.close();
    }
  });
});

describe(llmConfigFromEnv.name, () => {
  it('reads the provider and model; none set is undefined; an unknown provider names the variable', () => {
    expect(llmConfigFromEnv({ CANOPY_LLM_PROVIDER: 'openai', CANOPY_LLM_MODEL: 'llama3' })).toEqual({ provider: 'openai', model: 'llama3' });
    expect(llmConfigFromEnv({})).toBeUndefined();
    expect(() => llmConfigFromEnv({ CANOPY_LLM_PROVIDER: 'gemini' })).toThrow('CANOPY_LLM_PROVIDER must be openai or anthropic, not "gemini"');
    expect(llmConfigFromEnv({ CANOPY_LLM_PROVIDER: 'anthropic', CANOPY_LLM_RETRIES: '0' })).toEqual({ provider: 'anthropic', retries: 0 });
    expect(() => llmConfigFromEnv({ CANOPY_LLM_PROVIDER: 'openai', CANOPY_LLM_RETRIES: 'many' })).toThrow('CANOPY_LLM_RETRIES must be an integer from 0 to 10, not "many"');
  });

  it('a call with no provider configured or named says how to set one', async () => {
    const p = createProvider({});
    await expect(p({ prompt: 'x' }, { signal: new AbortController().signal, onToken: () => undefined })).rejects.toThrow("no language-model provider: set CANOPY_LLM_PROVIDER or the node's :provider");
  });

  it('a call without any model says how to set one', async () => {
    const p = createProvider({ provider: 'openai' });
    await expect(p({ prompt: 'x' }, { signal: new AbortController().signal, onToken: () => undefined })).rejects.toThrow("no model: set CANOPY_LLM_MODEL or the node's :model");
  });
});
