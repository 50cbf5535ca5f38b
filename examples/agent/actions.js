// Actions of the agent examples (docs/agents.md): the tools the model may call (agent.lisp runs
// each tool call with one of them) and a helper of the deep-research tree. Served by
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

module.exports = {
  search,
  calculate,

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
