import { BuildError, buildTree, validateTrees, type TreeDocument } from '../src';
import { call, cond, doc, n, ok, v } from './helpers';

function buildMessage(d: TreeDocument): string {
  try {
    buildTree(d);
  } catch (e) {
    if (e instanceof BuildError) return e.message;
    throw e;
  }
  throw new Error('expected a BuildError');
}

describe(validateTrees.name, () => {
  it('reports every problem at its JSON pointer, with suggestions apart from the message', () => {
    const d = doc(
      n(
        'sequence',
        n('repeat', { kw: { tims: 3 } }, ok()),
        cond(call('lenn', v('team:x'))),
        n('set', { args: ['glob:x', 1] }),
      ),
    );
    expect(validateTrees(d)).toEqual([
      {
        code: 'UNKNOWN_KEYWORD',
        message: "unknown keyword :tims for 'repeat'",
        hint: 'did you mean :times?',
        path: '/trees/0/root/children/0/kwargs/tims',
        atKey: true,
      },
      {
        code: 'MISSING_ARGUMENT',
        message: "missing required keyword :times for 'repeat'",
        path: '/trees/0/root/children/0',
      },
      {
        code: 'UNKNOWN_FUNCTION',
        message: "unknown function 'lenn'",
        hint: "did you mean 'len'?",
        path: '/trees/0/root/children/1/args/0',
      },
      {
        code: 'BAD_KEY',
        message: "unknown scope 'glob' in key 'glob:x'",
        hint: "did you mean 'global'?",
        path: '/trees/0/root/children/2/args/0',
      },
    ]);
  });

  it('reads keys as the builder does, also in key reads', () => {
    const d = doc(
      n('sequence', cond(v('a//b')), cond(v('')), cond(call('get', 'x/', 0)), cond(v('exec:a/b'))),
    );
    expect(validateTrees(d).map((i) => [i.code, i.message, i.path])).toEqual([
      [
        'BAD_KEY',
        "'$a//b' has an empty segment (leading, trailing or double /): no tree can address it",
        '/trees/0/root/children/0/args/0',
      ],
      ['BAD_KEY', "expected a key after '$'", '/trees/0/root/children/1/args/0'],
      [
        'BAD_KEY',
        "key 'x/' has an empty segment (leading, trailing or double /): no tree can address it",
        '/trees/0/root/children/2/args/0/args/0',
      ],
    ]);
    for (let i = 0; i < 3; i++)
      expect(() => buildTree(doc((d.trees[0].root.children ?? [])[i]))).toThrow(BuildError);
  });

  it('names other places by pointer, or as `where` says', () => {
    const d = doc(n('sequence', n('success', { id: 'x' }), n('failure', { id: 'x' })));
    expect(validateTrees(d).map((i) => i.message)).toEqual([
      "duplicate id 'x' in tree 'main' (first used at /trees/0/root/children/0)",
    ]);
    expect(validateTrees(d, { where: (path) => `<${path}>` }).map((i) => i.message)).toEqual([
      "duplicate id 'x' in tree 'main' (first used at </trees/0/root/children/0>)",
    ]);
  });

  it('checks subtree references against the document and knownTrees', () => {
    const d = doc(n('subtree', { args: ['other'] }));
    expect(validateTrees(d).map((i) => [i.code, i.path])).toEqual([
      ['UNKNOWN_SUBTREE', '/trees/0/root/args/0'],
    ]);
    expect(validateTrees(d, { knownTrees: ['other'] })).toEqual([]);
    expect(validateTrees(d, { lenientSubtrees: true })).toEqual([]);
  });

  it("gives the builder's errors the same messages, without suggestions", () => {
    expect(buildMessage(doc(n('repeat', { kw: { times: 1, tims: 3 } }, ok())))).toBe(
      "main:0 (repeat, id '0'): unknown keyword :tims for 'repeat'",
    );
    expect(buildMessage(doc(n('wait', { kw: { ms: 'soon' } })))).toBe(
      `main:0 (wait, id '0'): expected a number for :ms of 'wait', found string "soon"`,
    );
    expect(buildMessage(doc(n('sequence', ok(), n('invert'))))).toBe(
      "main:0.1 (invert, id '0.1'): 'invert' expects exactly 1 child, found 0",
    );
  });

  it('holds canonical documents to rules the builder relaxes', () => {
    const lenient: TreeDocument = doc(
      n(
        'sequence',
        { id: '0.9' },
        { ...n('semaphore', { kw: { max: 1 } }, ok()), name: 's' },
        n('action', { args: ['go'], kw: { name: 'x' } }),
        n('log', { args: ['m', { kw: 'k' }, v('other:x')] }),
        n('set', { args: ['other:x', 1] }),
      ),
    );
    expect(() => buildTree(lenient)).not.toThrow();
    expect(validateTrees(lenient).map((i) => [i.code, i.path])).toEqual([
      ['BAD_ARGUMENT', '/trees/0/root/id'],
      ['MISSING_ARGUMENT', '/trees/0/root/children/0'],
      ['BAD_ARGUMENT', '/trees/0/root/children/0/name'],
      ['BAD_ARGUMENT', '/trees/0/root/children/1/kwargs/name'],
      ['BAD_ARGUMENT', '/trees/0/root/children/2/args/1'],
      ['BAD_KEY', '/trees/0/root/children/2/args/2'],
      ['BAD_KEY', '/trees/0/root/children/3/args/0'],
    ]);
  });
});
