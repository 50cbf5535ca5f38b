import OpenAI from 'openai';
import { RedisKeys } from '@canopy/contracts';
import type { LlmProvider } from '@canopy/engine';
import { createProvider } from '@canopy/llm';
import { startFakeLlm, type FakeLlm } from '@canopy/testing';
import { command, createExecution, getExecution, readTicks, useRunners, waitFor } from './harness';

jest.setTimeout(30_000);

describe('tick-runner: llm-call through a configured provider', () => {
  let server: FakeLlm;
  let release: () => void = () => undefined;
  // The provider the runner builds from CANOPY_LLM_PROVIDER=openai, pointed at the test server
  // once it listens.
  let provider: LlmProvider;
  const fx = useRunners({
    runners: [{ runnerId: 'runner-llm', llm: (req, ctx) => provider(req, ctx) }],
    trees: ['(tree "ask" (sequence (llm-call :prompt $q :into "answer") (set "done" true)))'],
  });
  beforeAll(async () => {
    server = await startFakeLlm('openai');
    provider = createProvider({ provider: 'openai', model: 'tiny' }, { openai: new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 }) });
  });
  afterAll(async () => {
    release();
    await server.close();
  });

  it('streams into the blackboard across ticks without blocking them, then stores the whole answer', async () => {
    server.reply = ['The ', 'answer', ' is 42'];
    server.hold = new Promise((resolve) => (release = resolve));
    await createExecution(fx.gateway, { tree: 'ask', id: 'llm-1', blackboard: { q: 'What is it?' } });
    await command(fx.gateway, 'llm-1', { type: 'tick', count: 1 });
    await waitFor('the model asked', () => server.requests.length === 1 || undefined);
    // The model is slow (held after its first piece): ticks go on, the node stays RUNNING.
    expect(await command(fx.gateway, 'llm-1', { type: 'tick', count: 2 })).toMatchObject({ tick: 3, status: 'RUNNING' });
    release();
    const done = await waitFor('the answer stored', async () => {
      const r = await command<{ status: string; tick: number }>(fx.gateway, 'llm-1', { type: 'tick', count: 1 });
      return r.status === 'SUCCESS' ? r : undefined;
    });
    expect(done.status).toBe('SUCCESS');
    expect(JSON.parse((await fx.runner.redis.hget(RedisKeys.scopeValues('exec:llm-1'), 'answer')) as string)).toBe('The answer is 42');
    expect(server.requests[0]).toMatchObject({ model: 'tiny', stream: true, messages: [{ role: 'user', content: 'What is it?' }] });
    const ticks = (await readTicks(fx.gateway.nc, 'llm-1')).map((t) => t.data);
    expect(ticks.map((t) => t.tick)).toEqual(ticks.map((_, i) => i + 1));
    expect((await getExecution(fx.gateway, 'llm-1')).status).toBe('SUCCESS');
  });
});
