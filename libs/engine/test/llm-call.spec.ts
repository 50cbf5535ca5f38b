import { BehaviorTree, LlmError, type Checkpoint, type LlmProvider, type LlmRequest, type LlmResult } from '../src';
import { call, deferred, flush, harness, n, statuses, v } from './helpers';

interface FakeCall {
  req: LlmRequest;
  signal: AbortSignal;
  token(t: string): void;
  resolve(r: LlmResult): void;
  reject(e: unknown): void;
}

function fakeProvider(): { llm: LlmProvider; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const llm: LlmProvider = (req, ctx) => {
    const d = deferred<LlmResult>();
    calls.push({
      req,
      signal: ctx.signal,
      token: ctx.onToken,
      resolve: d.resolve,
      reject: d.reject,
    });
    return d.promise;
  };
  return { llm, calls };
}

const llmCall = (kw: Record<string, unknown>) =>
  n('llm-call', {
    id: 'ask',
    kw: { prompt: call('str', 'hi ', v('who')), into: 'answer', ...kw } as never,
  });

describe(BehaviorTree.name, () => {
  describe('llm-call', () => {
    it('builds the request from its arguments', () => {
      const { llm, calls } = fakeProvider();
      harness(llmCall({ provider: 'anthropic', model: 'small', system: 'be brief', 'max-tokens': 64 }), {
        llm,
        bb: { exec: { who: 'bob' } },
      }).tree.tick();
      expect(calls.map((c) => c.req)).toEqual([
        { prompt: 'hi bob', provider: 'anthropic', model: 'small', system: 'be brief', maxTokens: 64 },
      ]);
    });

    it('records the text each tick added as one chunk per node, and the usage in the tick the call finished', async () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({}), { llm });
      expect(h.tree.tick().chunks).toBeUndefined();
      calls[0].token('Hel');
      calls[0].token('lo');
      expect(h.tree.tick().chunks).toEqual([{ nodeId: 'ask', text: 'Hello' }]);
      expect(h.tree.tick().chunks).toBeUndefined();
      calls[0].token(' you');
      const usage = { provider: 'openai', model: 'm1', inputTokens: 5, outputTokens: 2 };
      calls[0].resolve({ text: 'Hello you', tokens: 7, usage });
      await flush();
      const last = h.tree.tick();
      expect(last.status).toBe('SUCCESS');
      expect(last.chunks).toEqual([{ nodeId: 'ask', text: ' you' }]);
      expect(last.llm).toEqual([{ nodeId: 'ask', ...usage }]);
    });

    it('keeps the streamed text out of the checkpoint: its size does not grow with the answer', () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({}), { llm });
      h.tree.tick();
      // The tick count is the only thing that may change (and it is not the text).
      const size = (cp: Checkpoint) => JSON.stringify({ ...cp, tick: 0 }).length;
      const before = size(h.tree.checkpoint());
      const piece = 'lorem ipsum '.repeat(100);
      for (let i = 0; i < 20; i++) {
        calls[0].token(piece);
        expect(h.tree.tick().status).toBe('RUNNING');
      }
      // 24 kB streamed, all of it on the key; the checkpoint is what it was before the stream.
      expect(h.bb.get('exec', 'answer')).toBe(piece.repeat(20));
      expect(size(h.tree.checkpoint())).toBe(before);
      expect(JSON.stringify(h.tree.checkpoint())).not.toContain('lorem');
    });

    it('restarts a call that was streaming when the checkpoint was taken, its text from the start', () => {
      const a = fakeProvider();
      const h = harness(llmCall({}), { llm: a.llm });
      h.tree.tick();
      a.calls[0].token('partial');
      h.tree.tick();
      const b = fakeProvider();
      const h2 = harness(llmCall({}), { llm: b.llm, bb: { exec: { answer: 'partial' } } });
      h2.tree.restore(JSON.parse(JSON.stringify(h.tree.checkpoint())) as Checkpoint);
      expect(h2.tree.tick().status).toBe('RUNNING');
      expect(b.calls).toHaveLength(1);
      b.calls[0].token('fresh');
      expect(h2.tree.tick().writes).toEqual([{ key: 'answer', scope: 'exec', old: 'partial', new: 'fresh' }]);
    });

    it('sends the conversation with the answers to its last tool calls, then keeps the exchange and the new calls', async () => {
      const { llm, calls } = fakeProvider();
      const call = { id: 'c1', name: 'look', arguments: { at: 'x' } };
      const chat = [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: '', toolCalls: [call, { id: 'c2', name: 'look', arguments: {} }] },
      ];
      const h = harness(
        llmCall({ prompt: null, conversation: 'chat', tools: v('tools'), 'tool-results': v('results'), 'tool-calls-into': 'calls' }),
        { llm, bb: { exec: { chat, tools: [{ name: 'look' }], results: { c1: { seen: 1 } } } } },
      );
      h.tree.tick();
      expect(calls[0].req).toEqual({
        prompt: '',
        tools: [{ name: 'look' }],
        messages: [
          ...chat,
          { role: 'tool', toolCallId: 'c1', content: '{"seen":1}' },
          { role: 'tool', toolCallId: 'c2', content: 'no result' },
        ],
      });
      calls[0].resolve({ text: 'more', tokens: 1, toolCalls: [{ id: 'c3', name: 'look', arguments: 'raw' }] });
      await flush();
      expect(h.tree.tick().status).toBe('SUCCESS');
      expect(h.bb.get('exec', 'calls')).toEqual([{ id: 'c3', name: 'look', arguments: 'raw' }]);
      expect(h.bb.get('exec', 'chat')).toEqual([
        ...calls[0].req.messages!,
        { role: 'assistant', content: 'more', toolCalls: [{ id: 'c3', name: 'look', arguments: 'raw' }] },
      ]);
    });

    it.each<[Record<string, unknown>, string]>([
      [{ tools: 'x' }, ':tools must be a list, got string'],
      [{ tools: [{ description: 'no name' }] }, ':tools item 0 must be a map with a :name string'],
      [{ conversation: 'bad' }, ':conversation must hold a list, got number'],
      [{ conversation: 'chat', prompt: null }, ':prompt must be a string, got nil'],
    ])('refuses bad tool-calling arguments: %j', (kw, message) => {
      const { llm, calls } = fakeProvider();
      const args: Record<string, unknown> = { ...kw };
      if (Array.isArray(kw.tools) || typeof kw.tools === 'string') args.tools = v('t');
      const r = harness(llmCall(args), { llm, bb: { exec: { t: kw.tools, bad: 3 } } }).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([{ nodeId: 'ask', code: 'BAD_ARGUMENT', message }]);
      expect(calls).toHaveLength(0);
    });

    it('fails with BUDGET_EXCEEDED, without retrying, when the provider says the budget is spent', () => {
      let asked = 0;
      const llm: LlmProvider = () => {
        asked++;
        throw new LlmError('BUDGET_EXCEEDED', 'the execution\'s token budget (100) is spent');
      };
      const r = harness(llmCall({ retries: 3 }), { llm }).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: 'ask', code: 'BUDGET_EXCEEDED', message: "llm-call: the execution's token budget (100) is spent" },
      ]);
      expect(asked).toBe(1);
    });

    it('writes streamed tokens at the start of the next tick, never mid-tick, then the final text', async () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({}), { llm });
      expect(h.tree.tick().writes).toEqual([]);
      calls[0].token('Hel');
      calls[0].token('lo');
      expect(h.bb.has('exec', 'answer')).toBe(false);
      const r2 = h.tree.tick();
      expect(r2.status).toBe('RUNNING');
      expect(r2.writes).toEqual([{ key: 'answer', scope: 'exec', new: 'Hello' }]);
      calls[0].token(' world');
      calls[0].resolve({ text: 'Hello world!', tokens: 3 });
      await flush();
      const r3 = h.tree.tick();
      expect(r3.status).toBe('SUCCESS');
      expect(r3.writes).toEqual([
        { key: 'answer', scope: 'exec', old: 'Hello', new: 'Hello world' },
        { key: 'answer', scope: 'exec', old: 'Hello world', new: 'Hello world!' },
      ]);
    });

    it('does not write the final text again when the stream already wrote it', async () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({}), { llm });
      h.tree.tick();
      calls[0].token('done');
      calls[0].resolve({ text: 'done', tokens: 1 });
      await flush();
      expect(h.tree.tick().writes).toEqual([{ key: 'answer', scope: 'exec', new: 'done' }]);
    });

    it('retries a failed call and fails after the last attempt', async () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({ retries: 1 }), { llm });
      h.tree.tick();
      calls[0].reject(new Error('overloaded'));
      await flush();
      const r2 = h.tree.tick();
      expect(r2.status).toBe('RUNNING');
      expect(r2.errors).toEqual([
        { nodeId: 'ask', code: 'LLM_FAILED', message: 'llm-call failed: overloaded' },
      ]);
      expect(calls).toHaveLength(2);
      calls[1].reject(new Error('still overloaded'));
      await flush();
      expect(h.tree.tick().status).toBe('FAILURE');
    });

    it('times out against the tick clock and aborts the call', () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({ 'timeout-ms': 100 }), { llm });
      const records = h.ticks(3, 50);
      expect(statuses(records)).toEqual(['RUNNING', 'RUNNING', 'FAILURE']);
      expect(records[2].errors).toEqual([
        { nodeId: 'ask', code: 'ACTION_TIMEOUT', message: 'llm-call timed out after 100 ms' },
      ]);
      expect(calls[0].signal.aborted).toBe(true);
    });

    it('aborts on halt', () => {
      const { llm, calls } = fakeProvider();
      const h = harness(llmCall({}), { llm });
      h.tree.tick();
      h.tree.halt();
      expect(calls[0].signal.aborted).toBe(true);
    });

    it('fails with LLM_FAILED when no provider is configured', () => {
      const r = harness(llmCall({})).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: 'ask', code: 'LLM_FAILED', message: 'no language-model provider is configured' },
      ]);
    });

    it('treats a provider that throws synchronously as a failed attempt', () => {
      const llm: LlmProvider = () => {
        throw new Error('bad key');
      };
      const r = harness(llmCall({}), { llm }).tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: 'ask', code: 'LLM_FAILED', message: 'llm-call failed: bad key' },
      ]);
    });
  });
});
