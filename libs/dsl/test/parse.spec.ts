import type { Sexp } from '../src';
import { formatError, parse } from '../src';

/** Positions dropped, to compare shapes. */
function shape(form: Sexp): unknown {
  const { pos: _pos, ...rest } = form;
  if (form.kind === 'list' || form.kind === 'vector' || form.kind === 'map') {
    return { kind: form.kind, items: form.items.map(shape) };
  }
  return rest;
}

describe(parse.name, () => {
  it('reads every kind of atom', () => {
    const { ast, errors } = parse(
      '3 -0.25 1e3 "a\\"b\\\\c\\nd\\te" true false nil :times move-to ready? <= != $key $a/b/c $global:key',
    );
    expect(errors).toEqual([]);
    expect(ast.forms.map(shape)).toEqual([
      { kind: 'number', value: 3 },
      { kind: 'number', value: -0.25 },
      { kind: 'number', value: 1000 },
      { kind: 'string', value: 'a"b\\c\nd\te' },
      { kind: 'boolean', value: true },
      { kind: 'boolean', value: false },
      { kind: 'nil' },
      { kind: 'keyword', name: 'times' },
      { kind: 'symbol', name: 'move-to' },
      { kind: 'symbol', name: 'ready?' },
      { kind: 'symbol', name: '<=' },
      { kind: 'symbol', name: '!=' },
      { kind: 'var', path: 'key' },
      { kind: 'var', path: 'a/b/c' },
      { kind: 'var', path: 'global:key' },
    ]);
  });

  it('reads -0 as 0, and + and - alone as symbols', () => {
    const { ast } = parse('-0 - + -x');
    expect(ast.forms.map(shape)).toEqual([
      { kind: 'number', value: 0 },
      { kind: 'symbol', name: '-' },
      { kind: 'symbol', name: '+' },
      { kind: 'symbol', name: '-x' },
    ]);
    expect(Object.is((ast.forms[0] as { value: number }).value, 0)).toBe(true);
  });

  it('reads lists, list literals and map literals', () => {
    const { ast, errors } = parse('(a [1 2] {:k v})');
    expect(errors).toEqual([]);
    expect(ast.forms.map(shape)).toEqual([
      {
        kind: 'list',
        items: [
          { kind: 'symbol', name: 'a' },
          {
            kind: 'vector',
            items: [
              { kind: 'number', value: 1 },
              { kind: 'number', value: 2 },
            ],
          },
          {
            kind: 'map',
            items: [
              { kind: 'keyword', name: 'k' },
              { kind: 'symbol', name: 'v' },
            ],
          },
        ],
      },
    ]);
  });

  it('gives every form a 1-based line and column', () => {
    const { ast } = parse('; c\n(tree\n  "x"\t:k)');
    const list = ast.forms[0];
    expect(list.pos).toEqual({ line: 2, column: 1, offset: 4 });
    expect(list.kind === 'list' && list.items.map((i) => [i.pos.line, i.pos.column])).toEqual([
      [2, 2],
      [3, 3],
      [3, 7],
    ]);
  });

  it('keeps comments with their text after "; " and their position', () => {
    const { ast } = parse(';plain\n;  two spaces\n;; double\n(a) ; after\n;');
    expect(ast.comments.map((c) => [c.text, c.pos.line, c.pos.column])).toEqual([
      ['plain', 1, 1],
      [' two spaces', 2, 1],
      ['; double', 3, 1],
      ['after', 4, 5],
      ['', 5, 1],
    ]);
  });

  it('recovers from bracket errors and reports each', () => {
    const { ast, errors } = parse('(a [b) c}\n(d', { file: 'x.lisp' });
    expect(errors.map(formatError)).toEqual([
      "x.lisp:1:6: expected ']' to close '[' at 1:4, found ')'",
      "x.lisp:1:9: unexpected '}' (no matching '{')",
      "x.lisp:2:1: unclosed '(' (expected ')' before the end of the file)",
    ]);
    expect(ast.forms.map((f) => f.kind)).toEqual(['list', 'symbol', 'list']);
  });

  it('keeps reading after a bad token', () => {
    const { ast, errors } = parse('(a 1x "ok" :) b', { file: 'x.lisp' });
    expect(errors.map(formatError)).toEqual([
      "x.lisp:1:4: invalid number '1x'",
      "x.lisp:1:12: expected a keyword name after ':'",
    ]);
    expect(ast.forms.map(shape)).toEqual([
      {
        kind: 'list',
        items: [
          { kind: 'symbol', name: 'a' },
          { kind: 'error' },
          { kind: 'string', value: 'ok' },
          { kind: 'error' },
        ],
      },
      { kind: 'symbol', name: 'b' },
    ]);
  });
});
