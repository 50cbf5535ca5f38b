import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError, buildTree, type TreeDocument } from '@canopy/engine';
import { DslErrorCode, compile, formatError, validateDocument } from '../src';
import { read } from '../src/parser';
import { toDocument } from '../src/to-json';

/** The document of a text without the validator: what the engine gets if `check` let it through. */
function unchecked(source: string): TreeDocument {
  const { file } = read(source);
  return toDocument(file.forms, file.comments).document;
}

/** The code of the engine's BuildError for some tree of the document, if any. */
function buildErrorCode(document: TreeDocument): string | undefined {
  for (const tree of document.trees) {
    try {
      buildTree(document, { tree: tree.name });
    } catch (error) {
      if (error instanceof BuildError) return error.code;
      throw error;
    }
  }
  return undefined;
}

/** Every tree of the document builds. */
function buildsEveryTree(document: TreeDocument, library: TreeDocument[] = []): void {
  for (const tree of document.trees)
    expect(() => buildTree(document, { tree: tree.name, library })).not.toThrow();
}

describe('documents check accepts are documents the engine builds', () => {
  // Each rule: the source, its error, its code, and the engine's code for the same document.
  it.each([
    [
      'a set key with an empty segment',
      '(tree "a" (set "a//b" 1))',
      "f.lisp:1:16: expected a name before and after each '/' in key 'a//b'",
      DslErrorCode.BadKey,
      'BAD_ARGUMENT',
    ],
    [
      'an unset key ending with /',
      '(tree "a" (unset "x/"))',
      "f.lisp:1:18: expected a name before and after each '/' in key 'x/'",
      DslErrorCode.BadKey,
      'BAD_ARGUMENT',
    ],
    [
      'an llm-call :into key starting with / after its scope',
      '(tree "a" (llm-call :prompt "p" :into "team:/x"))',
      "f.lisp:1:39: expected a name before and after each '/' in key 'team:/x'",
      DslErrorCode.BadKey,
      'BAD_ARGUMENT',
    ],
    [
      'a get of a literal key with an empty segment',
      '(tree "a" (condition (get "a//b" 0)))',
      "f.lisp:1:27: expected a name before and after each '/' in key 'a//b'",
      DslErrorCode.BadKey,
      'BAD_EXPRESSION',
    ],
    [
      'a get of an empty literal key',
      '(tree "a" (set "x" (+ 1 (get ""))))',
      "f.lisp:1:30: expected a non-empty key for 'get'",
      DslErrorCode.BadKey,
      'BAD_EXPRESSION',
    ],
    [
      'a get of a scope without a key',
      '(tree "a" (condition (get "team:")))',
      "f.lisp:1:27: expected a key after 'team:' in key 'team:'",
      DslErrorCode.BadKey,
      'BAD_EXPRESSION',
    ],
    [
      'parallel with :policy and :success',
      '(tree "a" (parallel :policy :require-one :success 1 (success)))',
      "f.lisp:1:42: 'parallel' takes :success or :policy, not both (:policy is shorthand for :success)",
      DslErrorCode.BadArgument,
      'BAD_ARGUMENT',
    ],
    [
      'an id that a subtree instance also gives',
      '(tree "m"\n  (sequence\n    (subtree "h" :id "s")\n    (success :id "s/x")))\n(tree "h" (success :id "x"))',
      "f.lisp:4:18: duplicate id 's/x' when tree 'm' is built (first used at 5:11; an :id inside a subtree becomes '<subtree node id>/<id>')",
      DslErrorCode.DuplicateId,
      'DUPLICATE_ID',
    ],
    [
      'ids of nested subtree instances that collide',
      '(tree "m" (sequence (subtree "h" :id "s") (success :id "s/y/z")))\n(tree "h" (subtree "g" :id "y"))\n(tree "g" (success :id "z"))',
      "f.lisp:1:56: duplicate id 's/y/z' when tree 'm' is built (first used at 3:11; an :id inside a subtree becomes '<subtree node id>/<id>')",
      DslErrorCode.DuplicateId,
      'DUPLICATE_ID',
    ],
    [
      'an id inside a subtree that collides with an implicit subtree node prefix',
      '(tree "m" (sequence (subtree "h") (success :id "0.0/x")))\n(tree "h" (success :id "x"))',
      "f.lisp:1:48: duplicate id '0.0/x' when tree 'm' is built (first used at 2:11; an :id inside a subtree becomes '<subtree node id>/<id>')",
      DslErrorCode.DuplicateId,
      'DUPLICATE_ID',
    ],
  ])('rejects %s', (_rule, source, message, code, engineCode) => {
    const result = compile(source, { file: 'f.lisp' });
    expect(result.document).toBeUndefined();
    expect(result.errors.map(formatError)).toEqual([message]);
    expect(result.errors.map((e) => e.code)).toEqual([code]);
    expect(buildErrorCode(unchecked(source))).toBe(engineCode);
  });

  it('names a subtree clash in the subtree itself, once, when it shows in several trees', () => {
    const source = [
      '(tree "m" (sequence (subtree "h" :id "s") (subtree "h" :id "t")))',
      '(tree "h" (sequence (subtree "g" :id "y") (success :id "y/z")))',
      '(tree "g" (success :id "z"))',
    ].join('\n');
    expect(compile(source, { file: 'f.lisp' }).errors.map(formatError)).toEqual([
      "f.lisp:2:56: duplicate id 'y/z' when tree 'h' is built (first used at 3:11; an :id inside a subtree becomes '<subtree node id>/<id>')",
    ]);
  });

  it('reports the same rules in JSON documents, at their pointer', () => {
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
      "doc.json:/trees/0/root/children/1/args/0: expected a name before and after each '/' in key 'a/'",
      "doc.json:/trees/0/root/children/1/args/1/args/0: expected a name before and after each '/' in key '/b'",
      "doc.json:/trees/0/root/children/1/id: duplicate id 's/x' when tree 'm' is built (first used at /trees/1/root; an :id inside a subtree becomes '<subtree node id>/<id>')",
    ]);
  });

  it('accepts what the engine builds: nested keys, :policy with :failure, ids with / that do not collide', () => {
    const source = [
      '(tree "m"',
      '  (parallel :policy :require-one :failure 2',
      '    (set "team:robot/pose/x" (get "exec:robot/pose/x" 0))',
      '    (unset "a/0")',
      '    (llm-call :prompt "p" :into "out/text")',
      '    (subtree "h" :id "s")',
      '    (subtree "h" :id "s/x")',
      '    (success :id "s/y")))',
      '(tree "h" (sequence :id "w" (success :id "z")))',
    ].join('\n');
    const { document, errors } = compile(source);
    expect(errors).toEqual([]);
    buildsEveryTree(document as TreeDocument);
  });

  it('does not expand subtrees of other files (the engine reports clashes through them)', () => {
    const library = [compile('(tree "h" (success :id "x"))').document as TreeDocument];
    const source = '(tree "m" (sequence (subtree "h" :id "s") (success :id "s/x")))';
    const { document, errors } = compile(source, { knownTrees: ['h'] });
    expect(errors).toEqual([]);
    expect(() => buildTree(document as TreeDocument, { library })).toThrow(
      "duplicate node id 's/x'",
    );
  });

  it('every document of the corpus and the examples that compiles builds every tree', () => {
    const files = [
      ...readdirSync(join(__dirname, 'corpus')).map((name) => join(__dirname, 'corpus', name)),
      ...readdirSync(join(__dirname, '../../../examples'))
        .filter((name) => name.endsWith('.lisp'))
        .map((name) => join(__dirname, '../../../examples', name)),
    ];
    // 7 corpus files and the 3 examples (the corpus no longer holds copies of the examples).
    expect(files.length).toBeGreaterThanOrEqual(10);
    let compiled = 0;
    for (const file of files) {
      const { document } = compile(readFileSync(file, 'utf8'), { file });
      if (!document) continue;
      compiled++;
      buildsEveryTree(document);
    }
    expect(compiled).toBe(files.length);
  });

  it('every generated document that compiles builds every tree', () => {
    let seed = 99;
    const random = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const ids = ['s', 'x', 'y', 's/x', 'x/y', 's/x/y', 'y/x', '0/x', '0.0/x', '0.1/y'];
    const keys = ['k', 'a/b', 'team:x', 'exec:a/0/c'];
    const badKeys = ['a//b', 'x/', '/x', 'team:/x', ''];
    const key = (): string => (random() < 0.02 ? pick(badKeys) : pick(keys));
    const node = (depth: number, tree: number): string => {
      const id = random() < 0.3 ? ` :id "${pick(ids)}"` : '';
      const r = random();
      if (depth > 2 || r < 0.3) {
        const target = Math.floor(random() * 4);
        if (random() < 0.4 && target > tree) return `(subtree "t${target}"${id})`;
        return pick([
          `(success${id})`,
          `(set "${key()}" (get "${key()}" 0)${id})`,
          `(unset "${key()}"${id})`,
          `(llm-call :prompt "p" :into "${key()}"${id})`,
        ]);
      }
      const head =
        random() < 0.03
          ? 'parallel :policy :require-all :success 1'
          : pick(['sequence', 'parallel :policy :require-one', 'parallel :failure 1 :success 1']);
      const children = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        node(depth + 1, tree),
      );
      return `(${head}${id} ${children.join(' ')})`;
    };
    let accepted = 0;
    const problems: string[] = [];
    for (let n = 0; n < 1500; n++) {
      const source = [0, 1, 2, 3].map((t) => `(tree "t${t}" ${node(0, t)})`).join('\n');
      const { document } = compile(source);
      if (!document) continue;
      accepted++;
      for (const tree of document.trees) {
        try {
          buildTree(document, { tree: tree.name });
        } catch (error) {
          problems.push(`${source}\n  -> ${(error as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(250);
  });
});
