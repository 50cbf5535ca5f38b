import { NODE_SPECS, type NodeJson, type TreeDocument } from '@canopy/engine';
import { compile, formatError, print, validateDocument } from '../src';

const S = { type: 'success' };

/** Every node type of the catalogue, as text and as the JSON it compiles to. */
const CASES: [string, NodeJson][] = [
  ['(sequence (success) (failure))', { type: 'sequence', children: [S, { type: 'failure' }] }],
  ['(selector (success))', { type: 'selector', children: [S] }],
  ['(fallback (success))', { type: 'fallback', children: [S] }],
  ['(reactive-sequence (success))', { type: 'reactive-sequence', children: [S] }],
  ['(reactive-selector (success))', { type: 'reactive-selector', children: [S] }],
  ['(memory-sequence (success))', { type: 'memory-sequence', children: [S] }],
  ['(memory-selector (success))', { type: 'memory-selector', children: [S] }],
  [
    '(parallel :success 2 :failure 1 (success) (running))',
    { type: 'parallel', kwargs: { success: 2, failure: 1 }, children: [S, { type: 'running' }] },
  ],
  [
    '(parallel :policy :require-one (success))',
    { type: 'parallel', kwargs: { policy: { kw: 'require-one' } }, children: [S] },
  ],
  [
    '(scoring-selector :hysteresis 0.5 (option (* $hunger 2) (action eat)) (option 1 (success)))',
    {
      type: 'scoring-selector',
      kwargs: { hysteresis: 0.5 },
      children: [
        {
          type: 'option',
          args: [{ call: '*', args: [{ $: 'hunger' }, 2] }],
          children: [{ type: 'action', args: [{ sym: 'eat' }] }],
        },
        { type: 'option', args: [1], children: [S] },
      ],
    },
  ],
  ['(invert (success))', { type: 'invert', children: [S] }],
  ['(force-success (failure))', { type: 'force-success', children: [{ type: 'failure' }] }],
  ['(force-failure (success))', { type: 'force-failure', children: [S] }],
  ['(repeat :times -1 (success))', { type: 'repeat', kwargs: { times: -1 }, children: [S] }],
  [
    '(retry :times $attempts (success))',
    { type: 'retry', kwargs: { times: { $: 'attempts' } }, children: [S] },
  ],
  ['(until-success (success))', { type: 'until-success', children: [S] }],
  ['(until-failure (success))', { type: 'until-failure', children: [S] }],
  [
    '(timeout :ms 500 (running))',
    { type: 'timeout', kwargs: { ms: 500 }, children: [{ type: 'running' }] },
  ],
  ['(delay :ms 1.5 (success))', { type: 'delay', kwargs: { ms: 1.5 }, children: [S] }],
  ['(cooldown :ms 1000 (success))', { type: 'cooldown', kwargs: { ms: 1000 }, children: [S] }],
  [
    '(guard (and $armed (not $paused)) (success))',
    {
      type: 'guard',
      args: [{ call: 'and', args: [{ $: 'armed' }, { call: 'not', args: [{ $: 'paused' }] }] }],
      children: [S],
    },
  ],
  ['(run-once (success))', { type: 'run-once', children: [S] }],
  ['(on-event "door-open" (success))', { type: 'on-event', args: ['door-open'], children: [S] }],
  [
    '(for-each :in [1 2 3] :as "n" (log "item" $n))',
    {
      type: 'for-each',
      kwargs: { in: { list: [1, 2, 3] }, as: 'n' },
      children: [{ type: 'log', args: ['item', { $: 'n' }] }],
    },
  ],
  [
    '(semaphore :name "door" :max 2 (success))',
    { type: 'semaphore', kwargs: { name: 'door', max: 2 }, children: [S] },
  ],
  ['(success)', S],
  ['(failure)', { type: 'failure' }],
  ['(running)', { type: 'running' }],
  [
    '(condition (>= $battery 20))',
    { type: 'condition', args: [{ call: '>=', args: [{ $: 'battery' }, 20] }] },
  ],
  [
    '(set "global:count" (+ $global:count 1))',
    { type: 'set', args: ['global:count', { call: '+', args: [{ $: 'global:count' }, 1] }] },
  ],
  ['(unset "team:target")', { type: 'unset', args: ['team:target'] }],
  ['(wait :ms 250)', { type: 'wait', kwargs: { ms: 250 } }],
  [
    '(log "pos" $robot/pose/x nil true "a\\"b")',
    { type: 'log', args: ['pos', { $: 'robot/pose/x' }, null, true, 'a"b'] },
  ],
  [
    '(action "move-to" :target {:x 1 :y -0.25} :fast false)',
    {
      type: 'action',
      args: ['move-to'],
      kwargs: { target: { map: { x: 1, y: -0.25 } }, fast: false },
    },
  ],
  [
    '(subtree "other" :goal $goal)',
    { type: 'subtree', args: ['other'], kwargs: { goal: { $: 'goal' } } },
  ],
  [
    '(llm-call :prompt (str "Summarize " $doc) :into "summary" :model "small" :system "Be brief" :max-tokens 200 :timeout-ms 5000 :retries 2)',
    {
      type: 'llm-call',
      kwargs: {
        prompt: { call: 'str', args: ['Summarize ', { $: 'doc' }] },
        into: 'summary',
        model: 'small',
        system: 'Be brief',
        'max-tokens': 200,
        'timeout-ms': 5000,
        retries: 2,
      },
    },
  ],
  ['(progress "upload" 40)', { type: 'progress', args: ['upload', 40] }],
  [
    '(mcp-tool "files" "read_file" :path $p :into "text")',
    { type: 'mcp-tool', args: ['files', 'read_file'], kwargs: { path: { $: 'p' }, into: 'text' } },
  ],
];

describe('node types', () => {
  it('covers every type and alias of the catalogue', () => {
    const covered = new Set<string>();
    const visit = (node: NodeJson): void => {
      covered.add(node.type);
      node.children?.forEach(visit);
    };
    CASES.forEach(([, json]) => visit(json));
    const all = NODE_SPECS.flatMap((s) => [s.type, ...(s.aliases ?? [])]);
    expect(all.filter((t) => !covered.has(t))).toEqual([]);
  });

  describe.each(CASES)('%s', (source, expected) => {
    const text = `(tree "t" ${source})`;

    it('compiles to the expected JSON', () => {
      const result = compile(text, { knownTrees: ['other'] });
      expect(result.errors.map(formatError)).toEqual([]);
      expect(result.document?.trees[0].root).toEqual(expected);
    });

    it('validates as JSON and prints back to text that compiles to the same JSON', () => {
      const document: TreeDocument = { format: 'canopy/1', trees: [{ name: 't', root: expected }] };
      const checked = validateDocument(document, { knownTrees: ['other'] });
      expect(checked.errors).toEqual([]);
      const again = compile(print(document), { knownTrees: ['other'] });
      expect(again.document).toEqual(document);
    });
  });

  it('keeps :id and :name as node fields, in any position among the keywords', () => {
    const result = compile('(tree "t" (wait :ms 5 :name "pause" :id "w1"))');
    expect(result.document?.trees[0].root).toEqual({
      type: 'wait',
      id: 'w1',
      name: 'pause',
      kwargs: { ms: 5 },
    });
  });

  it('reads keyword arguments written between children', () => {
    const result = compile('(tree "t" (sequence (success) :id "s" (failure)))');
    expect(result.document?.trees[0].root).toEqual({
      type: 'sequence',
      id: 's',
      children: [S, { type: 'failure' }],
    });
  });
});
