import { BuildError, buildTree, type TreeDocument } from '@canopy/engine';
import { DslErrorCode, compile, formatError } from '../src';
import { read } from '../src/parser';
import { toDocument } from '../src/to-json';

/**
 * The validator and the builder share the node rules (the engine's NodeChecker), so what is left
 * to agree on is what each of them works out on its own: the ids of subtree instances (the
 * validator expands the file's subtrees to find clashes, the builder builds them), expressions
 * (checked by the validator, compiled by the builder), and what only the builder can see (trees
 * of other documents).
 */

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
  // Each clash: the source, its error, its code, and the engine's code for the same document.
  it.each([
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
      'an id inside a copy of for-each :parallel that another node also has',
      '(tree "m" (sequence (for-each :in [] :as "i" :parallel 2 (success :id "x")) (success :id "0.0.1/x")))',
      "f.lisp:1:90: duplicate id '0.0.1/x' when tree 'm' is built (first used at 1:58; an :id inside a subtree becomes '<subtree node id>/<id>')",
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
