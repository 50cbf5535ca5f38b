import {
  ActionRegistry,
  buildTree,
  ManualClock,
  MemoryBlackboard,
  NODE_SPECS,
  type ExternalEvent,
  type NodeJson,
  type TickRecord,
  type TreeDocument,
} from '@canopy/engine';
import { compile, formatError, validateDocument } from '../src';

/**
 * Parity: every node type written in the language and written as canonical JSON compiles to the
 * same document and runs the same trace.
 */
interface Case {
  lisp: string;
  json: NodeJson;
  ticks?: number;
  exec?: Record<string, unknown>;
  /** External events given to tick n. */
  events?: Record<number, ExternalEvent[]>;
}

const ok: NodeJson = { type: 'success' };
const ko: NodeJson = { type: 'failure' };
const run: NodeJson = { type: 'running' };
const wait = (ms: number): NodeJson => ({ type: 'wait', kwargs: { ms } });
const inc = (key: string): NodeJson => ({
  type: 'set',
  args: [key, { call: '+', args: [{ call: 'get', args: [key, 0] }, 1] }],
});

const CASES: Record<string, Case> = {
  sequence: { lisp: '(sequence (success) (wait :ms 100) (failure))', json: { type: 'sequence', children: [ok, wait(100), ko] } },
  selector: { lisp: '(selector (failure) (wait :ms 100) (success))', json: { type: 'selector', children: [ko, wait(100), ok] } },
  'reactive-sequence': {
    lisp: '(reactive-sequence (condition (< (tick) 3)) (running))',
    json: { type: 'reactive-sequence', children: [{ type: 'condition', args: [{ call: '<', args: [{ call: 'tick', args: [] }, 3] }] }, run] },
  },
  'reactive-selector': {
    lisp: '(reactive-selector (condition (> (tick) 2)) (running))',
    json: { type: 'reactive-selector', children: [{ type: 'condition', args: [{ call: '>', args: [{ call: 'tick', args: [] }, 2] }] }, run] },
  },
  'memory-sequence': {
    lisp: '(memory-sequence (set "a" 1) (condition (> (tick) 2)))',
    json: { type: 'memory-sequence', children: [{ type: 'set', args: ['a', 1] }, { type: 'condition', args: [{ call: '>', args: [{ call: 'tick', args: [] }, 2] }] }] },
  },
  'memory-selector': {
    lisp: '(memory-selector (condition (> (tick) 2)) (success))',
    json: { type: 'memory-selector', children: [{ type: 'condition', args: [{ call: '>', args: [{ call: 'tick', args: [] }, 2] }] }, ok] },
  },
  parallel: {
    lisp: '(parallel :success 2 :failure 2 (wait :ms 100) (failure) (wait :ms 300))',
    json: { type: 'parallel', kwargs: { success: 2, failure: 2 }, children: [wait(100), ko, wait(300)] },
  },
  'scoring-selector': {
    lisp: '(scoring-selector :hysteresis 5 (option (tick) (running)) (option 2 (success)))',
    json: {
      type: 'scoring-selector',
      kwargs: { hysteresis: 5 },
      children: [
        { type: 'option', args: [{ call: 'tick', args: [] }], children: [run] },
        { type: 'option', args: [2], children: [ok] },
      ],
    },
  },
  option: {
    lisp: '(scoring-selector (option 1 (success)))',
    json: { type: 'scoring-selector', children: [{ type: 'option', args: [1], children: [ok] }] },
  },
  invert: { lisp: '(invert (failure))', json: { type: 'invert', children: [ko] } },
  'force-success': { lisp: '(force-success (failure))', json: { type: 'force-success', children: [ko] } },
  'force-failure': { lisp: '(force-failure (success))', json: { type: 'force-failure', children: [ok] } },
  repeat: { lisp: '(repeat :times 3 (set "n" (+ (get "n" 0) 1)))', json: { type: 'repeat', kwargs: { times: 3 }, children: [inc('n')] } },
  retry: {
    lisp: '(retry :times 3 (sequence (set "n" (+ (get "n" 0) 1)) (condition (> $n 2))))',
    json: { type: 'retry', kwargs: { times: 3 }, children: [{ type: 'sequence', children: [inc('n'), { type: 'condition', args: [{ call: '>', args: [{ $: 'n' }, 2] }] }] }] },
  },
  'until-success': {
    lisp: '(until-success (condition (> (tick) 2)))',
    json: { type: 'until-success', children: [{ type: 'condition', args: [{ call: '>', args: [{ call: 'tick', args: [] }, 2] }] }] },
  },
  'until-failure': {
    lisp: '(until-failure (condition (< (tick) 3)))',
    json: { type: 'until-failure', children: [{ type: 'condition', args: [{ call: '<', args: [{ call: 'tick', args: [] }, 3] }] }] },
  },
  timeout: { lisp: '(timeout :ms 150 (running))', json: { type: 'timeout', kwargs: { ms: 150 }, children: [run] } },
  delay: { lisp: '(delay :ms 200 (success))', json: { type: 'delay', kwargs: { ms: 200 }, children: [ok] } },
  cooldown: { lisp: '(cooldown :ms 200 (success))', json: { type: 'cooldown', kwargs: { ms: 200 }, children: [ok] } },
  guard: {
    lisp: '(guard (< (tick) 3) (running))',
    json: { type: 'guard', args: [{ call: '<', args: [{ call: 'tick', args: [] }, 3] }], children: [run] },
  },
  'on-event': {
    lisp: '(on-event "go" (set "got" (event "go")))',
    json: { type: 'on-event', args: ['go'], children: [{ type: 'set', args: ['got', { call: 'event', args: ['go'] }] }] },
    events: { 2: [{ name: 'go', payload: 'first', at: 100 }], 4: [{ name: 'other', payload: 1, at: 300 }, { name: 'go', payload: 'second', at: 301 }] },
  },
  'run-once': { lisp: '(run-once (set "n" (+ (get "n" 0) 1)))', json: { type: 'run-once', children: [inc('n')] } },
  'for-each': {
    lisp: '(for-each :in [1 2 3] :as "x" (set "sum" (+ $sum $x)))',
    json: { type: 'for-each', kwargs: { in: { list: [1, 2, 3] }, as: 'x' }, children: [{ type: 'set', args: ['sum', { call: '+', args: [{ $: 'sum' }, { $: 'x' }] }] }] },
    exec: { sum: 0 },
  },
  semaphore: { lisp: '(semaphore :name "s" :max 1 (wait :ms 100))', json: { type: 'semaphore', kwargs: { name: 's', max: 1 }, children: [wait(100)] } },
  success: { lisp: '(success)', json: ok },
  failure: { lisp: '(failure)', json: ko },
  running: { lisp: '(running)', json: run },
  condition: { lisp: '(condition (contains $xs 2))', json: { type: 'condition', args: [{ call: 'contains', args: [{ $: 'xs' }, 2] }] }, exec: { xs: [1, 2] } },
  set: { lisp: '(set "global:g" {:a [1 "b"]})', json: { type: 'set', args: ['global:g', { map: { a: { list: [1, 'b'] } } }] } },
  unset: { lisp: '(unset "k")', json: { type: 'unset', args: ['k'] }, exec: { k: 1 } },
  wait: { lisp: '(wait :ms 250)', json: wait(250) },
  log: { lisp: '(log "values" $k (str "t" (tick)))', json: { type: 'log', args: ['values', { $: 'k' }, { call: 'str', args: ['t', { call: 'tick', args: [] }] }] }, exec: { k: 7 } },
  action: { lisp: '(action double :value 21)', json: { type: 'action', args: [{ sym: 'double' }], kwargs: { value: 21 } } },
  subtree: { lisp: '(subtree "child" :who "sub")', json: { type: 'subtree', args: ['child'], kwargs: { who: 'sub' } } },
  'llm-call': {
    lisp: '(llm-call :prompt "hi" :into "answer")',
    json: { type: 'llm-call', kwargs: { prompt: 'hi', into: 'answer' } },
  },
  progress: { lisp: '(progress "half" 50)', json: { type: 'progress', args: ['half', 50] } },
  // An action named mcp:kb/lookup (registered below), as the runner's MCP client resolves it.
  'mcp-tool': {
    lisp: '(mcp-tool "kb" "lookup" :term "tick" :into "found")',
    json: { type: 'mcp-tool', args: ['kb', 'lookup'], kwargs: { term: 'tick', into: 'found' } },
  },
};

/** Forms beyond one per node type: keywords and functions added later, checked the same way. */
const MORE: Record<string, Case> = {
  'for-each :parallel with assoc and append': {
    lisp: '(for-each :in ["a" "b" "c"] :as "x" :parallel 2 (sequence (set "m" (assoc $m $x (tick))) (set "l" (append $l $x))))',
    json: {
      type: 'for-each',
      kwargs: { in: { list: ['a', 'b', 'c'] }, as: 'x', parallel: 2 },
      children: [
        {
          type: 'sequence',
          children: [
            { type: 'set', args: ['m', { call: 'assoc', args: [{ $: 'm' }, { $: 'x' }, { call: 'tick', args: [] }] }] },
            { type: 'set', args: ['l', { call: 'append', args: [{ $: 'l' }, { $: 'x' }] }] },
          ],
        },
      ],
    },
    exec: { m: {}, l: [] },
  },
};

const CHILD_LISP = '(tree "child" (log "in subtree" $who))';
const CHILD_JSON = { name: 'child', root: { type: 'log', args: ['in subtree', { $: 'who' }] } };

function trace(doc: TreeDocument, c: Case): Omit<TickRecord, 'durationMs'>[] {
  const clock = new ManualClock(0);
  const actions = new ActionRegistry();
  actions.register('double', (args) => (args['value'] === 21 ? 'SUCCESS' : 'FAILURE'));
  actions.register('mcp:kb/lookup', (args) => ({ status: 'SUCCESS', output: `about ${String(args['term'])}` }));
  const tree = buildTree(doc, {
    tree: 'main',
    clock,
    actions,
    blackboard: new MemoryBlackboard({ exec: c.exec ?? {} }),
    llm: async (req) => ({ text: `echo ${req.prompt}`, tokens: 2 }),
  });
  const out: Omit<TickRecord, 'durationMs'>[] = [];
  for (let tick = 1; tick <= (c.ticks ?? 5); tick++) {
    clock.set((tick - 1) * 100);
    const { durationMs: _ignored, ...record } = tree.tick({ events: c.events?.[tick] });
    out.push(record);
  }
  return out;
}

describe('DSL and JSON parity', () => {
  it('covers every node type of the catalogue', () => {
    expect(Object.keys(CASES).sort()).toEqual(NODE_SPECS.map((s) => s.type).sort());
  });

  it.each(Object.entries({ ...CASES, ...MORE }))('%s: same document and same trace', async (_type, c) => {
    const compiled = compile(`(tree "main" ${c.lisp})\n${CHILD_LISP}`, { file: 'parity.lisp' });
    expect(compiled.errors.map(formatError)).toEqual([]);
    const fromJson = validateDocument({ format: 'canopy/1', trees: [{ name: 'main', root: c.json }, CHILD_JSON] });
    expect(fromJson.errors.map(formatError)).toEqual([]);
    expect(compiled.document).toEqual(fromJson.document);

    const a = trace(compiled.document as TreeDocument, c);
    const b = trace(fromJson.document as TreeDocument, c);
    expect(a).toEqual(b);
    // Every case does something observable, so an empty trace cannot pass by accident.
    expect(a.some((r) => r.nodes.length > 0)).toBe(true);
  });
});
