import { DslErrorCode, compile, formatError, validateDocument } from '../src';

function errors(json: unknown, knownTrees: string[] = []): string[] {
  const result = validateDocument(json, { file: 'doc.json', knownTrees });
  expect(result.document).toBeUndefined();
  return result.errors.map(formatError);
}

const tree = (root: unknown, extra: object = {}): unknown => ({
  format: 'canopy/1',
  trees: [{ name: 't', root, ...extra }],
});

describe(validateDocument.name, () => {
  it('accepts what compile produces and returns an equal document', () => {
    const { document } = compile(
      '; hi\n(tree "a" :main true (sequence :id "s" (action go :to [1 {:k $x}])))',
    );
    const result = validateDocument(JSON.parse(JSON.stringify(document)));
    expect(result).toEqual({ document, errors: [] });
  });

  it('drops empty arrays and objects, returning the canonical form', () => {
    const result = validateDocument(
      tree({ type: 'success', args: [], kwargs: {}, children: [], comments: [] }),
    );
    expect(result.errors).toEqual([]);
    expect(result.document).toEqual({
      format: 'canopy/1',
      trees: [{ name: 't', root: { type: 'success' } }],
    });
  });

  it('gives errors a JSON pointer instead of a line and column', () => {
    const result = validateDocument(
      tree({ type: 'sequence', children: [{ type: 'success' }, { type: 'sequense' }] }),
      {
        file: 'doc.json',
      },
    );
    expect(result.errors).toEqual([
      {
        file: 'doc.json',
        line: 0,
        column: 0,
        path: '/trees/0/root/children/1/type',
        code: DslErrorCode.UnknownNode,
        message: "unknown node type 'sequense' (did you mean 'sequence'?)",
      },
    ]);
    expect(formatError(result.errors[0])).toBe(
      "doc.json:/trees/0/root/children/1/type: unknown node type 'sequense' (did you mean 'sequence'?)",
    );
  });

  it.each([
    // Shape
    [null, ['doc.json:/: expected a tree document (an object), found null']],
    [[], ['doc.json:/: expected a tree document (an object), found an array']],
    [
      { format: 'canopy/2', trees: [] },
      [
        'doc.json:/format: expected format "canopy/1", found string "canopy/2"',
        'doc.json:/trees: expected a non-empty array of trees, found an array',
      ],
    ],
    [
      { format: 'canopy/1', trees: [{ name: 't', root: { type: 'success' } }], extra: 1 },
      ["doc.json:/extra: unknown property 'extra' in a tree document"],
    ],
    [
      { format: 'canopy/1', trees: [{ name: 3, main: 'yes' }] },
      [
        'doc.json:/trees/0/name: expected a tree name string, found number 3',
        'doc.json:/trees/0/main: expected true or false, found string "yes"',
        'doc.json:/trees/0/root: expected a node (an object), found nothing',
      ],
    ],
    [
      tree({ type: 7 }),
      ['doc.json:/trees/0/root/type: expected a node type string, found number 7'],
    ],
    [
      tree({ type: 'success', id: 1, name: false, colour: 'red' }),
      [
        "doc.json:/trees/0/root/colour: unknown property 'colour' in a node",
        'doc.json:/trees/0/root/id: expected a string, found number 1',
        'doc.json:/trees/0/root/name: expected a string, found boolean false',
      ],
    ],
    [
      tree({ type: 'sequence', children: {} }),
      [
        'doc.json:/trees/0/root/children: expected an array, found an object',
        "doc.json:/trees/0/root: 'sequence' expects at least 1 child, found 0",
      ],
    ],
    [
      tree({
        type: 'log',
        args: [
          'm',
          { foo: 1 },
          { $: 'a b' },
          { sym: '3x' },
          { kw: '' },
          { call: 1, args: [] },
          Infinity,
        ],
      }),
      [
        'doc.json:/trees/0/root/args/1: expected an expression (a number, string, boolean, null, {"$"}, {"sym"}, {"kw"}, {"call", "args"}, {"list"} or {"map"}), found an object',
        'doc.json:/trees/0/root/args/2/$: expected a key path such as "a/b" or "global:x", found string "a b"',
        'doc.json:/trees/0/root/args/3/sym: expected a symbol name, found string "3x"',
        'doc.json:/trees/0/root/args/4/kw: expected a keyword name (without the colon), found string ""',
        'doc.json:/trees/0/root/args/5/call: expected a function name string, found number 1',
        'doc.json:/trees/0/root/args/6: expected a finite number, found Infinity',
      ],
    ],
    [
      tree({
        type: 'action',
        args: [{ sym: 'go' }],
        kwargs: { 'a b': 1, 'x/y': { map: { '': 2 } } },
      }),
      [
        "doc.json:/trees/0/root/kwargs/a b: 'a b' is not a valid keyword name",
        "doc.json:/trees/0/root/kwargs/x~1y/map/: '' is not a valid keyword name",
      ],
    ],
    [
      tree({ type: 'success', comments: ['ok', 'two\nlines', 3] }),
      [
        'doc.json:/trees/0/root/comments/1: expected a comment line (a string without line breaks), found string "two\\nlines"',
        'doc.json:/trees/0/root/comments/2: expected a comment line (a string without line breaks), found number 3',
      ],
    ],
    // Meaning, as for text
    [
      tree({ type: 'repeat', kwargs: { tims: 3 }, children: [{ type: 'success' }] }),
      [
        "doc.json:/trees/0/root/kwargs/tims: unknown keyword :tims for 'repeat' (did you mean :times?)",
        "doc.json:/trees/0/root: missing required keyword :times for 'repeat'",
      ],
    ],
    [
      tree({ type: 'condition', args: [{ call: 'lenn', args: [{ sym: 'x' }] }] }),
      [
        "doc.json:/trees/0/root/args/0: unknown function 'lenn' (did you mean 'len'?)",
        'doc.json:/trees/0/root/args/0/args/0: unexpected symbol \'x\' in an expression (write $x to read a key or "x" for a string)',
      ],
    ],
    [
      tree({
        type: 'invert',
        children: [
          { type: 'option', args: [1], children: [{ type: 'success' }] },
          { type: 'success' },
        ],
      }),
      [
        "doc.json:/trees/0/root/children/1: 'invert' expects exactly 1 child, found 2",
        "doc.json:/trees/0/root/children/0: 'option' is only allowed inside 'scoring-selector'",
      ],
    ],
    [
      tree({ type: 'wait', kwargs: { ms: '5', name: 'x' } }),
      [
        'doc.json:/trees/0/root/kwargs/ms: expected a number for :ms of \'wait\', found string "5"',
        'doc.json:/trees/0/root/kwargs/name: :name belongs in the node\'s "name" field, not in "kwargs"',
      ],
    ],
    [
      tree({
        type: 'semaphore',
        name: 'label',
        kwargs: { name: 's', max: 1 },
        children: [{ type: 'success' }],
      }),
      [
        'doc.json:/trees/0/root/name: \'semaphore\' uses :name as an argument, so it cannot also have a "name" label',
      ],
    ],
    [
      tree({ type: 'log', args: ['m', { kw: 'k' }] }),
      [
        "doc.json:/trees/0/root/args/1: a keyword cannot be a positional argument of 'log' (it reads as a keyword argument)",
      ],
    ],
    [
      tree({ type: 'sequence', id: 'x', children: [{ type: 'success', id: 'x' }] }),
      [
        "doc.json:/trees/0/root/children/0/id: duplicate id 'x' in tree 't' (first used at /trees/0/root)",
      ],
    ],
    [
      tree({ type: 'subtree', args: ['t'] }),
      ["doc.json:/trees/0/root/args/0: recursive subtree: 't' -> 't'"],
    ],
    [
      tree({ type: 'subtree', args: ['other'] }),
      ["doc.json:/trees/0/root/args/0: unknown subtree 'other'"],
    ],
    [
      {
        format: 'canopy/1',
        trees: [
          { name: 'a', main: true, root: { type: 'success' } },
          { name: 'a', main: true, root: { type: 'success' } },
        ],
      },
      [
        "doc.json:/trees/1/name: duplicate tree name 'a' (first defined at /trees/0)",
        'doc.json:/trees/1/main: only one tree may be :main true (another one is at /trees/0)',
      ],
    ],
  ])('reports %j', (json, expected) => {
    expect(errors(json)).toEqual(expected);
  });

  it('reports the rules the build applies too, at their pointer', () => {
    const result = validateDocument(
      {
        format: 'canopy/1',
        trees: [
          {
            name: 'm',
            root: {
              type: 'parallel',
              kwargs: { success: 1, policy: { kw: 'require-all' } },
              children: [
                { type: 'subtree', id: 's', args: ['h'] },
                { type: 'set', id: 's/x', args: ['a/', { call: 'get', args: ['/b'] }] },
              ],
            },
          },
          { name: 'h', root: { type: 'success', id: 'x' } },
        ],
      },
      { file: 'doc.json' },
    );
    expect(result.errors.map(formatError)).toEqual([
      "doc.json:/trees/0/root/kwargs/policy: 'parallel' takes :success or :policy, not both (:policy is shorthand for :success)",
      "doc.json:/trees/0/root/children/1/args/0: key 'a/' has an empty segment (leading, trailing or double /): no tree can address it",
      "doc.json:/trees/0/root/children/1/args/1/args/0: key '/b' has an empty segment (leading, trailing or double /): no tree can address it",
      "doc.json:/trees/0/root/children/1/id: duplicate id 's/x' when tree 'm' is built (first used at /trees/1/root; an :id inside a subtree becomes '<subtree node id>/<id>')",
    ]);
  });

  it('resolves subtrees in other files through knownTrees', () => {
    expect(
      validateDocument(tree({ type: 'subtree', args: ['other'] }), { knownTrees: ['other'] })
        .errors,
    ).toEqual([]);
  });

  it('keeps keys that are special to JavaScript objects as plain data', () => {
    const json = JSON.parse(
      '{"format":"canopy/1","trees":[{"name":"t","root":{"type":"action","args":["x"],"kwargs":{"__proto__":{"map":{"__proto__":1}}}}}]}',
    );
    const result = validateDocument(json);
    expect(result.errors).toEqual([]);
    expect(JSON.stringify(result.document)).toBe(JSON.stringify(json));
  });

  it('reports too deep nesting instead of overflowing the stack', () => {
    let expr: unknown = 1;
    for (let i = 0; i < 5000; i++) expr = { list: [expr] };
    const found = errors(tree({ type: 'condition', args: [expr] }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^doc\.json:\/trees\/0\/root\/args\/0(\/list\/0)+: expressions nested deeper than 200 levels$/,
    );
  });
});
