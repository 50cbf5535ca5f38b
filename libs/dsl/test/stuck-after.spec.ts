import { compile, format, formatError, print, treeDocumentSchema, validateDocument } from '../src';
import { validates } from './support/json-schema';

/** `:stuck-after MS`, the watchdog's budget of a node (docs/language.md "Watchdog"). */
describe(':stuck-after', () => {
  const errors = (source: string) => compile(source, { file: 'w.lisp' }).errors.map(formatError);

  it('compiles to the node field "stuck-after", on any node, never to an argument', () => {
    const source = [
      '(tree "t"',
      '  (sequence :id "main" :stuck-after 60000',
      '    (action move-to :x 1 :stuck-after 5000)',
      '    (wait :ms 100 :stuck-after 50)))',
    ].join('\n');
    const { document, errors: found } = compile(source);
    expect(found).toEqual([]);
    expect(document?.trees[0].root).toEqual({
      type: 'sequence',
      id: 'main',
      'stuck-after': 60000,
      children: [
        { type: 'action', 'stuck-after': 5000, args: [{ sym: 'move-to' }], kwargs: { x: 1 } },
        { type: 'wait', 'stuck-after': 50, kwargs: { ms: 100 } },
      ],
    });
  });

  it('formats to canonical text after :id and :name, and reads back the same', () => {
    const source = '(tree "t" (action go :stuck-after 500 :name "Go" :speed 2))';
    const result = format(source);
    expect(result.text).toBe('(tree "t"\n  (action go :name "Go" :stuck-after 500 :speed 2))\n');
    const again = compile(result.text ?? '');
    expect(again.document).toEqual(compile(source).document);
    expect(print(again.document!)).toBe(result.text);
  });

  it.each([
    [
      '0',
      "expected a whole number of milliseconds (at least 1) for :stuck-after of 'running', found number 0",
    ],
    [
      '-5',
      "expected a whole number of milliseconds (at least 1) for :stuck-after of 'running', found number -5",
    ],
    [
      '1.5',
      "expected a whole number of milliseconds (at least 1) for :stuck-after of 'running', found number 1.5",
    ],
  ])('rejects %s at its file:line:column', (value, message) => {
    expect(errors(`(tree "t"\n  (sequence\n    (running :stuck-after ${value})))`)).toEqual([
      `w.lisp:3:27: ${message}`,
    ]);
  });

  it('rejects an expression: the budget is read when the tree is built', () => {
    expect(errors('(tree "t" (running :stuck-after $ms))')).toEqual([
      'w.lisp:1:33: expected a number of milliseconds for :stuck-after, found $ms',
    ]);
  });

  it('in JSON, belongs in the node, not in kwargs', () => {
    const doc = {
      format: 'canopy/1',
      trees: [{ name: 't', root: { type: 'action', args: ['go'], kwargs: { 'stuck-after': 5 } } }],
    };
    expect(validateDocument(doc).errors.map((e) => e.message)).toEqual([
      `:stuck-after belongs in the node's "stuck-after" field, not in "kwargs"`,
    ]);
    expect(validates(treeDocumentSchema, doc)).toBe(false);
  });

  it('the JSON Schema takes a positive whole number on any node', () => {
    const tree = (root: unknown) => ({ format: 'canopy/1', trees: [{ name: 't', root }] });
    expect(validates(treeDocumentSchema, tree({ type: 'running', 'stuck-after': 100 }))).toBe(true);
    expect(validates(treeDocumentSchema, tree({ type: 'running', 'stuck-after': 0 }))).toBe(false);
    expect(validates(treeDocumentSchema, tree({ type: 'running', 'stuck-after': 2.5 }))).toBe(
      false,
    );
    expect(validates(treeDocumentSchema, tree({ type: 'running', 'stuck-after': '1s' }))).toBe(
      false,
    );
  });
});
