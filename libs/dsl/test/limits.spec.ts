import { DEFAULT_TREE_LIMITS } from '@canopy/engine';
import { DslErrorCode, compile, formatError, validateDocument } from '../src';

/** `levels` trees each using the next one twice: a few lines, 2^levels leaves once expanded. */
function doubling(levels: number): string {
  const lines: string[] = [];
  for (let i = 0; i < levels; i++) {
    lines.push(`(tree "t${i}" (sequence (subtree "t${i + 1}") (subtree "t${i + 1}")))`);
  }
  lines.push(`(tree "t${levels}" (success))`);
  return lines.join('\n');
}

describe('limits of the language', () => {
  it('refuses the subtree bomb of issue 16 at each tree form, with file:line:column', () => {
    // 17 levels, under 900 bytes: t0 alone would expand to 524,285 nodes (4 * 2^17 - 3).
    const source = doubling(17);
    expect(source.length).toBeLessThan(1100);
    const result = compile(source, { file: 'bomb.lisp' });
    expect(result.document).toBeUndefined();
    const large = result.errors.filter((e) => e.code === DslErrorCode.TreeTooLarge);
    // Trees t0..t6 expand to more than 5,000 nodes (t6: 3 * (2^11 - 1) + 2^11 = 8,189; t7: 4,093).
    expect(large.map((e) => `${e.line}:${e.column}`)).toEqual(['1:1', '2:1', '3:1', '4:1', '5:1', '6:1', '7:1']);
    expect(formatError(large[0])).toBe(
      "bomb.lisp:1:1: tree 't0' has 524285 nodes with its subtrees expanded (the limit is 5000: TREE_MAX_NODES)",
    );
  });

  it('takes the limits as options, and accepts a document exactly at them', () => {
    const limits = { ...DEFAULT_TREE_LIMITS, maxNodes: 8189 };
    expect(compile(doubling(11), { limits }).errors).toEqual([]);
    expect(compile(doubling(11), { limits: { ...limits, maxNodes: 8188 } }).errors.map((e) => e.code)).toEqual([
      DslErrorCode.TreeTooLarge,
    ]);
  });

  it('refuses a tree deeper than TREE_MAX_DEPTH through subtrees, at the tree', () => {
    const chain = (n: number) =>
      [...Array.from({ length: n }, (_, i) => `(tree "c${i}" (sequence (subtree "c${i + 1}")))`), `(tree "c${n}" (success))`].join('\n');
    expect(compile(chain(99)).errors).toEqual([]); // 199 levels
    const errors = compile(chain(100), { file: 'c.lisp' }).errors;
    expect(errors.map(formatError)).toEqual([
      "c.lisp:1:1: tree 'c0' is 201 levels deep with its subtrees expanded (the limit is 200: TREE_MAX_DEPTH)",
    ]);
  });

  it('refuses an expression of more than EXPRESSION_MAX_TERMS terms, at the expression, also in JSON', () => {
    const ones = (n: number) => Array.from({ length: n }, () => '1').join(' ');
    const over = compile(`(tree "e"\n  (condition (< (+ ${ones(998)}) 5)))`, { file: 'e.lisp' });
    expect(over.errors.map(formatError)).toEqual([
      'e.lisp:2:14: expression has more than 1000 terms (EXPRESSION_MAX_TERMS)',
    ]);
    expect(compile(`(tree "e" (condition (< (+ ${ones(997)}) 5)))`).errors).toEqual([]);
    const json = validateDocument({
      format: 'canopy/1',
      trees: [{ name: 'e', root: { type: 'condition', args: [{ call: '+', args: Array.from({ length: 1000 }, () => 1) }] } }],
    });
    expect(json.errors).toEqual([
      expect.objectContaining({ code: DslErrorCode.ExpressionTooLarge, path: '/trees/0/root/args/0' }),
    ]);
  });
});
