import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeJson, TreeDocument } from '@canopy/engine';
import { compile, format, formatError, print, validateDocument } from '../src';
import { examples } from './support/examples';

const CORPUS = join(__dirname, 'corpus');
const FORMATTED = join(__dirname, 'formatted');
const corpus = readdirSync(CORPUS).map((name): [string, string] => [
  name,
  readFileSync(join(CORPUS, name), 'utf8'),
]);

const INLINE: string[] = [
  '(tree "a" (success))',
  '(tree "a"(sequence(success)(failure)))',
  '; c\n(tree "a" ; x\n (sequence ; y\n (success) ; z\n ) ; w\n) ; v',
  '(tree "a" (log "" "\\\\" "\\"" "\\n\\t" [] {} [[]] {:a {:b [1 {:c nil}]}}))',
  '(tree "a" (condition (= 1e21 1e-7 -0 +0.5e1 0.1)))',
  '(tree "a" (action x :__proto__ 1 :constructor 2 :toString {:__proto__ 3}))',
  ';;\n;\n;  \n(tree "a" (success))\n;;;',
  '(tree "a" :main true (sequence :id "s" :name "n" (success :id "t")))',
];

const corpusAndInline: [string, string][] = [
  ...corpus,
  ...examples,
  ...INLINE.map((s, i) => [`inline ${i}`, s] as [string, string]),
];

function formatted(source: string): string {
  const result = format(source);
  expect(result.errors.map(formatError)).toEqual([]);
  return result.text as string;
}

describe(format.name, () => {
  it.each(corpus)('formats %s as the committed canonical text', (name, source) => {
    expect(formatted(source)).toBe(readFileSync(join(FORMATTED, name), 'utf8'));
  });

  it.each(examples)('keeps %s, which is canonical, unchanged', (_name, source) => {
    expect(formatted(source)).toBe(source);
  });

  it.each(corpusAndInline)('is idempotent on %s', (_name, source) => {
    const once = formatted(source);
    expect(formatted(once)).toBe(once);
  });

  it('formats files whose meaning is wrong, as long as they can be read', () => {
    const result = format('(tree "a" (sequense (subtree "elsewhere") (wait :tims 3)))');
    expect(result.errors).toEqual([]);
    expect(result.text).toBe(
      '(tree "a"\n  (sequense\n    (subtree "elsewhere")\n    (wait :tims 3)))\n',
    );
  });

  it('reports the errors of files it cannot read', () => {
    const result = format('(tree "a" (sequence (success)', { file: 'x.lisp' });
    expect(result.text).toBeUndefined();
    expect(result.errors.map(formatError)).toEqual([
      "x.lisp:1:1: unclosed '(' (expected ')' before the end of the file)",
      "x.lisp:1:11: unclosed '(' (expected ')' before the end of the file)",
    ]);
  });
});

function doc(root: NodeJson, extra: Partial<TreeDocument> = {}): TreeDocument {
  return { format: 'canopy/1', trees: [{ name: 't', root }], ...extra };
}

describe(print.name, () => {
  it('prints a leaf on one line and a node with children over several', () => {
    expect(
      print(doc({ type: 'sequence', id: 's', children: [{ type: 'wait', kwargs: { ms: 5 } }] })),
    ).toBe('(tree "t"\n  (sequence :id "s"\n    (wait :ms 5)))\n');
  });

  it('keeps a leaf on one line up to exactly 100 columns', () => {
    // Root leaves are indented by 2: "  (log \"" + text + "\")" is 2 + 6 + n + 2 columns.
    const fits = print(doc({ type: 'log', args: ['x'.repeat(90)] })).split('\n')[1];
    expect(fits).toHaveLength(101); // 100 columns plus the tree's closing paren
    const broken = print(doc({ type: 'log', args: ['x'.repeat(91)] }));
    expect(broken).toBe(`(tree "t"\n  (log "${'x'.repeat(91)}"))\n`);
  });

  it('puts each keyword argument on its own line when the head is too long', () => {
    const long = 'y'.repeat(80);
    expect(print(doc({ type: 'action', args: [{ sym: 'go' }], kwargs: { a: long, b: 1 } }))).toBe(
      `(tree "t"\n  (action go\n    :a "${long}"\n    :b 1))\n`,
    );
  });

  it('prints comments above their forms, keeping ;; headings and empty lines', () => {
    const text = print(
      doc(
        { type: 'success', comments: ['hello', '; heading', '', '  indented'] },
        { trailingComments: ['bye'] },
      ),
    );
    expect(text).toBe(
      '(tree "t"\n  ; hello\n  ;; heading\n  ;\n  ;   indented\n  (success))\n\n; bye\n',
    );
  });

  it('prints numbers canonically and strings with escapes', () => {
    const text = print(doc({ type: 'log', args: ['a"b\\c\nd\te', 1e21, 0.5, -0, 1e-7, -3] }));
    expect(text).toBe('(tree "t"\n  (log "a\\"b\\\\c\\nd\\te" 1e+21 0.5 0 1e-7 -3))\n');
  });

  it('separates trees with a blank line and writes :main only when present', () => {
    const text = print({
      format: 'canopy/1',
      trees: [
        { name: 'a', main: false, root: { type: 'success' } },
        { name: 'b', main: true, root: { type: 'failure' } },
      ],
    });
    expect(text).toBe(
      '(tree "a" :main false\n  (success))\n\n(tree "b" :main true\n  (failure))\n',
    );
  });
});

describe('round trips', () => {
  it.each(corpusAndInline)('text -> JSON -> text is the canonical text for %s', (_name, source) => {
    const result = compile(source, { knownTrees: ['elsewhere'] });
    expect(result.errors.map(formatError)).toEqual([]);
    expect(print(result.document as TreeDocument)).toBe(formatted(source));
  });

  it.each(corpusAndInline)('JSON -> text -> JSON is the identity for %s', (_name, source) => {
    const document = compile(source).document as TreeDocument;
    const json = JSON.parse(JSON.stringify(document)) as unknown;
    const checked = validateDocument(json);
    expect(checked.errors).toEqual([]);
    expect(checked.document).toEqual(json);
    const again = compile(print(checked.document as TreeDocument));
    expect(again.errors).toEqual([]);
    expect(JSON.stringify(again.document)).toBe(JSON.stringify(json));
  });

  it('keeps keyword names that are special to JavaScript objects', () => {
    const document = compile(INLINE[5]).document as TreeDocument;
    expect(Object.keys(document.trees[0].root.kwargs ?? {})).toEqual([
      '__proto__',
      'constructor',
      'toString',
    ]);
    expect(JSON.parse(JSON.stringify(document)).trees[0].root.kwargs.toString).toEqual(
      JSON.parse('{"map":{"__proto__":3}}'),
    );
  });
});
