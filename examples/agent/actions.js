// Actions of the agent examples (docs/agents.md): the tools the model may call, `run-tools` that
// runs a turn's tool calls at once, and helpers of the deep-research tree. Served by
// `canopy run --actions examples/agent/actions.js`, or by an ActionWorker on the stack.
// Every action returns {status, output}; `:into KEY` writes the output.

// A tiny offline "web": replace `search` with a real search API in your own module.
const CORPUS = [
  'Behavior trees structure decisions as a tree of tasks ticked from the root.',
  'A tick visits nodes until one is running; running nodes resume on the next tick.',
  'Language-model agents loop: call the model, run its tools, send the results back.',
  'Deep research splits a topic, researches the parts in parallel, then writes a report.',
];

function search({ query }) {
  const words = String(query ?? '').toLowerCase().split(/\W+/).filter((w) => w.length > 3);
  const hits = CORPUS.filter((s) => words.some((w) => s.toLowerCase().includes(w)));
  return { status: 'SUCCESS', output: (hits.length > 0 ? hits : CORPUS).slice(0, 3) };
}

function calculate({ op, a, b }) {
  const x = Number(a);
  const y = Number(b);
  const value = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : NaN;
  if (!Number.isFinite(value)) return { status: 'FAILURE', output: `cannot compute ${a} ${op} ${b}` };
  return { status: 'SUCCESS', output: value };
}

const TOOLS = { search, calculate };

module.exports = {
  search,
  calculate,

  /**
   * Runs every tool call of a turn at once and answers {callId: result}: what the next
   * llm-call's `:tool-results` sends back. An unknown tool or a failed one answers its error
   * as the result, so the model can correct itself.
   */
  'run-tools': async ({ calls }) => {
    const list = Array.isArray(calls) ? calls : [];
    const entries = await Promise.all(
      list.map(async (call) => {
        const tool = TOOLS[call.name];
        if (!tool) return [call.id, `error: no tool named ${call.name}`];
        try {
          const r = await tool(call.arguments ?? {});
          return [call.id, r.status === 'SUCCESS' ? r.output : `error: ${r.output}`];
        } catch (e) {
          return [call.id, `error: ${e instanceof Error ? e.message : String(e)}`];
        }
      }),
    );
    return { status: 'SUCCESS', output: Object.fromEntries(entries) };
  },

  /** The first `max` non-empty lines of `text`, without list markers. */
  'split-lines': ({ text, max }) => {
    const lines = String(text ?? '')
      .split('\n')
      .map((l) => l.replace(/^\s*(?:[-*]|\d+[.)])\s*/, '').trim())
      .filter((l) => l !== '');
    const out = lines.slice(0, Number(max) || lines.length);
    return out.length > 0 ? { status: 'SUCCESS', output: out } : { status: 'FAILURE' };
  },
};
