import { compile, formatError, parse, type Sexp } from '../src';

/** The reader's fast paths (hand-written character classes instead of the syntax regexes). */

function atom(text: string): Sexp | undefined {
  const { ast, errors } = parse(text);
  return errors.length ? undefined : ast.forms[0];
}

function messages(source: string): string[] {
  return compile(source, { file: 'f.lisp' }).errors.map(formatError);
}

describe('reader', () => {
  it('reads integers exactly, with or without a sign, at any length', () => {
    expect(atom('123456789012345')).toMatchObject({ kind: 'number', value: 123456789012345 });
    expect(atom('-42')).toMatchObject({ kind: 'number', value: -42 });
    expect(atom('+7')).toMatchObject({ kind: 'number', value: 7 });
    expect(atom('007')).toMatchObject({ kind: 'number', value: 7 });
    expect(atom('12345678901234567890')).toMatchObject({ value: Number('12345678901234567890') });
    const zero = atom('-000') as { value: number };
    expect(Object.is(zero.value, 0)).toBe(true);
  });

  it('checks key reads segment by segment', () => {
    expect(atom('$a/b-c/d.e')).toMatchObject({ kind: 'var', path: 'a/b-c/d.e' });
    expect(atom('$team:a/b')).toMatchObject({ kind: 'var', path: 'team:a/b' });
    expect(messages('(tree "a" (log "x" $/a $a/ $a//b $a$b))')).toEqual([
      "f.lisp:1:20: invalid key read '$/a'",
      "f.lisp:1:24: invalid key read '$a/'",
      "f.lisp:1:28: invalid key read '$a//b'",
      "f.lisp:1:34: invalid key read '$a$b'",
    ]);
  });

  it('rejects keywords and symbols with characters outside names', () => {
    expect(atom(':a/b')).toMatchObject({ kind: 'keyword', name: 'a/b' });
    expect(messages('(tree "a" (log "x" :1a :a:b a$b é))')).toEqual([
      "f.lisp:1:20: invalid keyword ':1a'",
      "f.lisp:1:24: invalid keyword ':a:b'",
      "f.lisp:1:29: invalid symbol 'a$b'",
      "f.lisp:1:33: invalid symbol 'é'",
    ]);
  });

  it('treats a byte order mark as whitespace, also inside an atom', () => {
    const { ast, errors } = parse('\uFEFFa\uFEFFb');
    expect(errors).toEqual([]);
    expect(ast.forms.map((f) => f.kind === 'symbol' && [f.name, f.pos.column])).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
  });

  it('counts lines inside strings and escapes', () => {
    const { ast } = parse('"a\r\nb\\\nc" x');
    expect(ast.forms[1].pos).toEqual({ line: 3, column: 4, offset: 10 });
  });

  it('places errors found in the document at their keyword or value', () => {
    // Positions are recorded only once an error needs one; both kinds must still be exact.
    expect(messages('(tree "a"\n  (action go :x (foo 1) :y/z $q:r))')).toEqual([
      "f.lisp:2:17: unknown function 'foo'",
      "f.lisp:2:30: unknown scope 'q' in '$q:r' (expected global, team, exec)",
    ]);
    expect(messages('(tree "a" (wait :ms 1 :a/b 2))')).toEqual([
      "f.lisp:1:23: unknown keyword :a/b for 'wait' (expected :ms, :id, :name, :stuck-after)",
    ]);
  });
});
