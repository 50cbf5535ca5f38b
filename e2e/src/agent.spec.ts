import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ActionWorker, type ActionHandler } from '@canopy/sdk';
import type { EventEnvelope } from '@canopy/contracts';
import { createLogger } from '@canopy/telemetry';
import { authHeaders, GatewayApi, REPO_ROOT, startFakeLlm, waitFor, waitForShards, type FakeLlm, type Stack } from '@canopy/testing';
import { WebSocket } from 'ws';
import { runnerId, startE2eStack } from './support/e2e-stack';

const SHARDS = 64;
const EXAMPLE = join(REPO_ROOT, 'examples', 'agent');

/** Every message of an execution's WebSocket stream, as it arrives. */
function openStream(url: string): Promise<{ messages: EventEnvelope[]; close(): void }> {
  const ws = new WebSocket(url, { headers: authHeaders() });
  const messages: EventEnvelope[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(String(raw)) as EventEnvelope));
  return new Promise((resolve, reject) =>
    ws.once('open', () => resolve({ messages, close: () => ws.close() })).once('error', reject),
  );
}

const chunksOf = (messages: EventEnvelope[]) =>
  messages.filter((m) => m.type === 'llm_chunk').map((m) => m.data as { nodeId: string; text: string });

/**
 * examples/agent on the stack (two runner processes, real NATS and Redis), its model the test's
 * OpenAI-compatible server (streaming and tool calls in the real wire format), its tools the
 * example's actions module served by an ActionWorker.
 */
describe('the agent example', () => {
  let llm: FakeLlm;
  let stack: Stack;
  let api: GatewayApi;
  let worker: ActionWorker;

  beforeAll(async () => {
    llm = await startFakeLlm('openai');
    stack = await startE2eStack({
      runners: 2,
      env: {
        'tick-runner': {
          CANOPY_LLM_PROVIDER: 'openai',
          CANOPY_LLM_MODEL: 'fake-model',
          OPENAI_BASE_URL: llm.url,
          OPENAI_API_KEY: 'sk-test',
        },
      },
    });
    api = new GatewayApi(stack.gateway.url);
    for (const file of ['agent.lisp', 'deep-research.lisp']) {
      await api.registerTree(readFileSync(join(EXAMPLE, file), 'utf8'), file);
    }
    worker = new ActionWorker({ natsUrl: stack.infra.nats.url, logger: createLogger('agent-worker', { level: 'silent' }) });
    // The module as `canopy run --actions` loads it (CommonJS).
    const actions = createRequire(__filename)(join(EXAMPLE, 'actions.js')) as Record<string, ActionHandler>;
    for (const [name, fn] of Object.entries(actions)) await worker.register(name, fn);
  }, 180_000);

  afterAll(async () => {
    await worker?.close();
    await stack?.dispose();
    await llm?.close();
  }, 60_000);

  it('runs the tools the model asked for, streams the answer over the WebSocket, and after a kill -9 of its runner mid-call the new owner makes the call again, once, never at the same time', async () => {
    await waitForShards(stack.runners, SHARDS);
    const question = 'What is six times seven?';
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Tool calls first; once the conversation has their results, the answer, held after its first
    // piece (a slow model) so the runner can be killed while the call streams.
    llm.respond = (request) =>
      JSON.stringify(request.messages).includes('"role":"tool"')
        ? { reply: ['The answer ', 'is ', '42.'], hold: held }
        : {
            reply: [''],
            toolCalls: [
              { id: 'call_search', name: 'search', arguments: '{"query":"behavior trees"}' },
              { id: 'call_calc', name: 'calculate', arguments: '{"op":"*","a":6,"b":7}' },
            ],
          };
    const id = 'agent-kill';
    // Event mode: it ticks when an async result settles, else every 100 ms while RUNNING.
    await api.createExecution({ tree: 'agent', id, mode: 'event', intervalMs: 100, blackboard: { question } });
    const stream = await openStream(`${stack.gateway.url.replace('http', 'ws')}/executions/${id}/ws`);
    try {
      await api.ok(api.post(`/executions/${id}/trigger`, { event: 'go' }), 202);

      // The answer starts streaming: its first piece reaches the WebSocket as an llm_chunk.
      await waitFor('the first piece over the WebSocket', () => chunksOf(stream.messages).some((c) => c.text === 'The answer '), 30_000);
      const answering = () => llm.requests.filter((r) => JSON.stringify(r.messages).includes('"role":"tool"'));
      expect(answering()).toHaveLength(1);
      // The tools ran: both results went back with the conversation, in the API's own form.
      expect((answering()[0].messages as { role: string; tool_call_id?: string; content: string }[]).filter((m) => m.role === 'tool')).toEqual([
        { role: 'tool', tool_call_id: 'call_search', content: expect.stringContaining('Behavior trees') },
        { role: 'tool', tool_call_id: 'call_calc', content: '42' },
      ]);
      const before = chunksOf(stream.messages).length;

      const owner = (await api.execution(id)).owner;
      const victim = owner === runnerId(1) ? 0 : 1;
      expect([runnerId(1), runnerId(2)]).toContain(owner);
      await stack.runners[victim].kill();

      // The survivor takes the shard over and calls the model again, from the checkpoint.
      await waitFor('the call made again by the new owner', () => answering().length === 2 || undefined, 60_000);
      release();
      await waitFor('the answer', async () => (await api.execution(id)).status === 'SUCCESS' || undefined, 60_000);

      const answer = await api.ok(api.get<{ value: unknown }>(`/blackboard/exec:${id}/keys/answer`));
      expect(answer.value).toBe('The answer is 42.');
      expect((await api.execution(id)).owner).toBe(runnerId(victim === 0 ? 2 : 1));
      // Made again once (two answering requests in all), and never two at the same time.
      expect(answering()).toHaveLength(2);
      expect(llm.requests.filter((r) => JSON.stringify(r.messages).includes(question))).toHaveLength(3);
      expect(llm.maxConcurrent[question]).toBe(1);
      // The new owner's stream starts over: its chunks, joined, are the whole answer.
      const after = chunksOf(stream.messages).slice(before);
      expect(after.map((c) => c.text).join('')).toBe('The answer is 42.');
    } finally {
      release();
      stream.close();
    }
  });

  it('deep research: one researcher per subtopic of the plan (five here), all at once; compresses, reports', async () => {
    const live = stack.runners.filter((r) => r.running);
    await waitForShards(live, SHARDS);
    const subtopics = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    let allAsking!: () => void;
    const researchers = new Promise<void>((resolve) => (allAsking = resolve));
    const prompt = (r: Record<string, unknown>) => String((r.messages as { content: string }[]).at(-1)?.content ?? '');
    let notes = 0;
    llm.respond = (request) => {
      const p = prompt(request);
      if (p.startsWith('Break this research topic')) return { reply: [subtopics.map((t, i) => `${i + 1}. ${t}\n`).join('')] };
      if (p.startsWith('Write research notes on ')) {
        // Each researcher is held until all five are asking: only researchers running at once finish.
        if (++notes === subtopics.length) allAsking();
        return { reply: [`notes on ${p.split(' ')[4]}`], hold: researchers };
      }
      if (p.startsWith('Compress')) return { reply: ['key ', 'findings'] };
      return { reply: ['REPORT: ', 'key findings'] };
    };
    const id = 'research-1';
    await api.createExecution({ tree: 'deep-research', id, mode: 'event', intervalMs: 100, blackboard: { topic: 'behavior trees for agents' } });
    await api.ok(api.post(`/executions/${id}/trigger`, { event: 'go' }), 202);
    await waitFor('the report', async () => (await api.execution(id)).status === 'SUCCESS' || undefined, 60_000);
    const value = async (key: string) => (await api.ok(api.get<{ value: unknown }>(`/blackboard/exec:${id}/keys/${key}`))).value;
    expect(await value('subtopics')).toEqual(subtopics);
    expect(await value('notes')).toEqual(Object.fromEntries(subtopics.map((t) => [t, `notes on ${t}`])));
    expect(notes).toBe(subtopics.length);
    expect(await value('findings')).toBe('key findings');
    expect(await value('report')).toBe('REPORT: key findings');
    const compress = llm.requests.map(prompt).find((p) => p.startsWith('Compress'));
    for (const t of subtopics) expect(compress).toContain(`:${t} "notes on ${t}"`);
  });
});
