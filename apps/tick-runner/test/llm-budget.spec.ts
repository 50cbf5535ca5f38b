import OpenAI from 'openai';
import { RedisKeys } from '@canopy/contracts';
import type { LlmProvider } from '@canopy/engine';
import { createProvider } from '@canopy/llm';
import { startFakeLlm, type FakeLlm } from '@canopy/testing';
import { command, createExecution, getExecution, readEvents, readTicks, useRunners, waitFor } from './harness';

jest.setTimeout(30_000);

/** The fake server counts 7 input tokens and one output token per piece. */
const INPUT = 7;

describe('tick-runner: llm-call usage, chunks, budgets and per-execution provider', () => {
  let server: FakeLlm;
  let provider: LlmProvider;
  const fx = useRunners({
    runners: [{ runnerId: 'runner-budget', llm: (req, ctx) => provider(req, ctx), teamLlmTokenBudget: 25 }],
    trees: ['(tree "twice" (sequence (llm-call :prompt $q :into "a") (llm-call :prompt $q :into "b")))'],
  });
  beforeAll(async () => {
    server = await startFakeLlm('openai');
    // No default provider or model: executions name theirs (`llm` at create).
    provider = createProvider({}, { openai: new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 }) });
  });
  afterAll(() => server.close());

  /** Ticks until the root finishes; the model streams between ticks. */
  async function runToEnd(id: string): Promise<string> {
    return waitFor(`${id} to finish`, async () => {
      const r = await command<{ status: string }>(fx.gateway, id, { type: 'tick', count: 1 });
      return r.status !== 'RUNNING' ? r.status : undefined;
    });
  }

  it('records usage per call and chunks per tick, sums the tokens on the execution, and uses its provider and model', async () => {
    server.reply = ['Hel', 'lo'];
    await createExecution(fx.gateway, { tree: 'twice', id: 'usage-1', blackboard: { q: 'usage one' }, llm: { provider: 'openai', model: 'exec-model' } });
    expect(await runToEnd('usage-1')).toBe('SUCCESS');
    expect(server.requests.filter((r) => JSON.stringify(r.messages).includes('usage one')).map((r) => r.model)).toEqual(['exec-model', 'exec-model']);
    const ticks = (await readTicks(fx.gateway.nc, 'usage-1')).map((t) => t.data);
    const usage = ticks.flatMap((t) => t.llm ?? []);
    const perCall = { provider: 'openai', model: 'exec-model', inputTokens: INPUT, outputTokens: 2 };
    expect(usage).toEqual([{ nodeId: '0.0', ...perCall }, { nodeId: '0.1', ...perCall }]);
    const execution = await getExecution(fx.gateway, 'usage-1');
    expect(execution).toMatchObject({ llm: { provider: 'openai', model: 'exec-model' }, llmTokens: 2 * (INPUT + 2) });
    // What the chunks carry, joined per node, is the text each node wrote.
    const events = (await readEvents(fx.gateway.nc, 'usage-1')).map((e) => e.data);
    const chunks = events.filter((e) => e.type === 'llm_chunk');
    expect(chunks.length).toBeGreaterThan(0);
    const textOf = (nodeId: string) => chunks.filter((e) => (e.data as { nodeId: string }).nodeId === nodeId).map((e) => (e.data as { text: string }).text).join('');
    expect(textOf('0.0')).toBe('Hello');
    expect(textOf('0.1')).toBe('Hello');
    // At most one chunk per node per tick.
    const perTick = new Set(chunks.map((e) => `${e.tick}:${(e.data as { nodeId: string }).nodeId}`));
    expect(perTick.size).toBe(chunks.length);
  });

  it('fails the call after the execution budget is spent, with BUDGET_EXCEEDED and a budget_exceeded event', async () => {
    server.reply = ['a', 'b', 'c'];
    const asked = server.requests.length;
    // One call uses 7 + 3 = 10 tokens: the second call finds the budget of 10 spent.
    await createExecution(fx.gateway, { tree: 'twice', id: 'budget-1', blackboard: { q: 'budget one' }, llm: { provider: 'openai', model: 'm' }, llmBudget: { tokens: 10 } });
    expect(await runToEnd('budget-1')).toBe('FAILURE');
    expect(server.requests.length - asked).toBe(1);
    const ticks = (await readTicks(fx.gateway.nc, 'budget-1')).map((t) => t.data);
    const errors = ticks.flatMap((t) => t.errors);
    expect(errors).toEqual([{ nodeId: '0.1', code: 'BUDGET_EXCEEDED', message: "llm-call: the execution's token budget is spent (10 of 10)" }]);
    const events = (await readEvents(fx.gateway.nc, 'budget-1')).map((e) => e.data);
    expect(events.filter((e) => e.type === 'budget_exceeded').map((e) => e.data)).toEqual([{ nodeId: '0.1', message: errors[0].message }]);
    expect(await getExecution(fx.gateway, 'budget-1')).toMatchObject({ llmBudget: { tokens: 10 }, llmTokens: 10 });
  });

  it('counts a team\'s tokens in Redis across its executions and fails calls once the team budget is spent', async () => {
    server.reply = ['a', 'b', 'c'];
    const llm = { provider: 'openai', model: 'm' };
    // Team budget 25: two calls (20 tokens) leave it unspent, the third call (30) spends it.
    await createExecution(fx.gateway, { tree: 'twice', id: 'team-1', team: 'blue', blackboard: { q: 'team one' }, llm });
    expect(await runToEnd('team-1')).toBe('SUCCESS');
    await waitFor('the team counter', async () => Number(await fx.runner.redis.get(RedisKeys.teamLlmTokens('blue'))) === 20 || undefined);
    await createExecution(fx.gateway, { tree: 'twice', id: 'team-2', team: 'blue', blackboard: { q: 'team two' }, llm });
    expect(await runToEnd('team-2')).toBe('FAILURE');
    const errors = (await readTicks(fx.gateway.nc, 'team-2')).flatMap((t) => t.data.errors);
    expect(errors).toEqual([{ nodeId: '0.1', code: 'BUDGET_EXCEEDED', message: 'llm-call: team "blue"\'s token budget is spent (30 of 25)' }]);
    // Another team is not affected.
    await createExecution(fx.gateway, { tree: 'twice', id: 'team-3', team: 'green', blackboard: { q: 'team three' }, llm });
    expect(await runToEnd('team-3')).toBe('SUCCESS');
  });
});
