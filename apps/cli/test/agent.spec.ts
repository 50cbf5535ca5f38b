import { join, resolve } from 'node:path';
import { startFakeLlm, type FakeLlm } from '@canopy/testing';
import { main } from '../src/main';
import { captureIo } from './capture-io';

/** examples/agent run embedded (`canopy run`) against the OpenAI-compatible test server. */
const EXAMPLE = resolve(__dirname, '../../../examples/agent');

const harness = captureIo;

type Line = { status: string; blackboard: Record<string, unknown>; errors: unknown[] };
const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Line);
type Message = { role: string; content: string; tool_call_id?: string };
const messagesOf = (r: Record<string, unknown>) => r.messages as Message[];

describe('examples/agent through canopy run', () => {
  let llm: FakeLlm;
  const saved = { ...process.env };
  beforeAll(async () => {
    llm = await startFakeLlm('openai');
    Object.assign(process.env, { CANOPY_LLM_PROVIDER: 'openai', CANOPY_LLM_MODEL: 'fake-model', OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-test' });
  });
  afterAll(async () => {
    process.env = saved;
    await llm.close();
  });

  it('agent: each tool call runs with its action (in a parallel for-each), the results go back in the next call', async () => {
    llm.requests.length = 0;
    llm.respond = (request) =>
      messagesOf(request).some((m) => m.role === 'tool')
        ? { reply: ['Six times seven ', 'is 42.'] }
        : {
            reply: [''],
            toolCalls: [
              { id: 'call_search', name: 'search', arguments: '{"query":"behavior trees"}' },
              { id: 'call_calc', name: 'calculate', arguments: '{"op":"*","a":6,"b":7}' },
              { id: 'call_div', name: 'calculate', arguments: '{"op":"/","a":1,"b":0}' },
              { id: 'call_web', name: 'browse', arguments: '{"url":"x"}' },
            ],
          };
    const h = harness();
    const code = await main(
      ['run', join(EXAMPLE, 'agent.lisp'), '--actions', join(EXAMPLE, 'actions.js'), '--set', 'question="What is six times seven?"', '--format', 'json'],
      h.io,
    );
    expect(h.err()).toBe('');
    expect(code).toBe(0);
    const last = lines(h.out()).at(-1);
    expect(last?.status).toBe('SUCCESS');
    expect(last?.blackboard.answer).toBe('Six times seven is 42.');
    expect(last?.blackboard.results).toEqual({
      call_search: expect.arrayContaining([expect.stringContaining('Behavior trees')]),
      call_calc: 42,
      call_div: 'error: cannot compute 1 / 0',
      call_web: 'error: no tool named browse',
    });
    expect(llm.requests).toHaveLength(2);
    // Every call answered, in the order the model asked, in the API's own form.
    expect(messagesOf(llm.requests[1]).filter((m) => m.role === 'tool')).toEqual([
      { role: 'tool', tool_call_id: 'call_search', content: expect.stringContaining('Behavior trees') },
      { role: 'tool', tool_call_id: 'call_calc', content: '42' },
      { role: 'tool', tool_call_id: 'call_div', content: 'error: cannot compute 1 / 0' },
      { role: 'tool', tool_call_id: 'call_web', content: 'error: no tool named browse' },
    ]);
  });

  it('deep research: a plan of four subtopics gets four researchers, running at once', async () => {
    llm.requests.length = 0;
    const subtopics = ['roots', 'trunk', 'branches', 'leaves'];
    let allAsking!: () => void;
    const researchers = new Promise<void>((r) => (allAsking = r));
    let asking = 0;
    llm.respond = (request) => {
      const p = messagesOf(request).at(-1)?.content ?? '';
      if (p.startsWith('Break this research topic')) return { reply: [subtopics.map((t) => `- ${t}\n`).join('')] };
      if (p.startsWith('Write research notes on ')) {
        // Held until all four researchers are asking: only researchers running at once finish.
        if (++asking === subtopics.length) allAsking();
        return { reply: [`notes on ${p.split(' ')[4]}`], hold: researchers };
      }
      if (p.startsWith('Compress')) return { reply: ['findings'] };
      return { reply: ['REPORT'] };
    };
    const h = harness();
    const code = await main(
      ['run', join(EXAMPLE, 'deep-research.lisp'), '--actions', join(EXAMPLE, 'actions.js'), '--set', 'topic=trees', '--format', 'json'],
      h.io,
    );
    expect(h.err()).toBe('');
    expect(code).toBe(0);
    const last = lines(h.out()).at(-1);
    expect(last?.status).toBe('SUCCESS');
    expect(asking).toBe(4);
    expect(last?.blackboard.subtopics).toEqual(subtopics);
    expect(last?.blackboard.notes).toEqual(Object.fromEntries(subtopics.map((t) => [t, `notes on ${t}`])));
    expect(last?.blackboard.report).toBe('REPORT');
    // The researchers' own keys stayed in their copies.
    expect(last?.blackboard).not.toHaveProperty('sources');
    expect(last?.blackboard).not.toHaveProperty('text');
  });
});
