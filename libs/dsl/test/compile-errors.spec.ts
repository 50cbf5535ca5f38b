import { DslErrorCode, compile, formatError } from '../src';

function errors(source: string, knownTrees: string[] = []): string[] {
  const result = compile(source, { file: 'f.lisp', knownTrees });
  expect(result.document).toBeUndefined();
  return result.errors.map(formatError);
}

describe(compile.name, () => {
  describe('did you mean', () => {
    it('suggests node types, naming the position of the type', () => {
      expect(errors('(tree "patrol"\n  (sequence\n    (sequense (success))))')).toEqual([
        "f.lisp:3:6: unknown node type 'sequense' (did you mean 'sequence'?)",
      ]);
    });

    it('suggests keywords of the node', () => {
      expect(errors('(tree "a" (repeat :tims 3 (success)))')).toEqual([
        "f.lisp:1:11: missing required keyword :times for 'repeat'",
        "f.lisp:1:19: unknown keyword :tims for 'repeat' (did you mean :times?)",
      ]);
    });

    it('suggests expression functions', () => {
      expect(errors('(tree "a" (condition (lenn $x)))')).toEqual([
        "f.lisp:1:22: unknown function 'lenn' (did you mean 'len'?)",
      ]);
    });

    it('suggests keyword choices, scopes, subtrees and the tree keyword', () => {
      expect(
        errors(
          [
            '(tree "a" :mian true',
            '  (sequence',
            '    (parallel :policy :requre-all (success))',
            '    (set "glob:x" 1)',
            '    (condition $tem:y)',
            '    (subtree "patrl")))',
            '(tree "patrol" (success))',
          ].join('\n'),
        ),
      ).toEqual([
        "f.lisp:1:11: unknown keyword :mian for 'tree' (did you mean :main?)",
        "f.lisp:3:23: expected one of :require-all, :require-one for :policy of 'parallel', found keyword :requre-all (did you mean :require-all?)",
        "f.lisp:4:10: unknown scope 'glob' in key 'glob:x' (did you mean 'global'?)",
        "f.lisp:5:16: unknown scope 'tem' in '$tem:y' (did you mean 'team'?)",
        "f.lisp:6:14: unknown subtree 'patrl' (did you mean 'patrol'?)",
      ]);
    });

    it('lists the accepted keywords when nothing is close', () => {
      expect(errors('(tree "a" (wait :ms 1 :foo 2))')).toEqual([
        "f.lisp:1:23: unknown keyword :foo for 'wait' (expected :ms, :id, :name, :stuck-after)",
      ]);
    });

    it('reads expressions under a misspelt node type as its arguments', () => {
      expect(errors('(tree "a" (condtion (> $a 1)))')).toEqual([
        "f.lisp:1:12: unknown node type 'condtion' (did you mean 'condition'?)",
      ]);
    });

    it('says nothing when nothing is close', () => {
      expect(errors('(tree "a" (zzzzzz))')).toEqual(["f.lisp:1:12: unknown node type 'zzzzzz'"]);
    });
  });

  it('collects every error of the file, in order of position', () => {
    const source = [
      '(tree "a"',
      '  (sequence',
      '    (wait :ms "5")',
      '    (invert (success) (failure))',
      '    (condition (not 1 2))',
      '    (log "bad \\q")',
      '    (actoin go)))',
    ].join('\n');
    const result = compile(source, { file: 'f.lisp' });
    expect(result.errors.map(formatError)).toEqual([
      'f.lisp:3:15: expected a number for :ms of \'wait\', found string "5"',
      "f.lisp:4:23: 'invert' expects exactly 1 child, found 2",
      "f.lisp:5:16: 'not' expects exactly 1 argument, found 2",
      "f.lisp:6:15: unknown escape '\\q' in string (expected \\\", \\\\, \\n or \\t)",
      "f.lisp:7:6: unknown node type 'actoin' (did you mean 'action'?)",
    ]);
    expect(result.errors.map((e) => e.code)).toEqual([
      DslErrorCode.BadArgument,
      DslErrorCode.Arity,
      DslErrorCode.ExprArity,
      DslErrorCode.BadEscape,
      DslErrorCode.UnknownNode,
    ]);
    expect(result.errors[0]).toEqual({
      file: 'f.lisp',
      line: 3,
      column: 15,
      code: 'DSL_BAD_ARGUMENT',
      message: 'expected a number for :ms of \'wait\', found string "5"',
    });
  });

  it.each([
    // Lexical
    [
      '(tree "a" (log "open))',
      [
        "f.lisp:1:1: unclosed '(' (expected ')' before the end of the file)",
        "f.lisp:1:11: unclosed '(' (expected ')' before the end of the file)",
        "f.lisp:1:16: unterminated string (expected a closing '\"')",
      ],
    ],
    [
      '(tree "a" (log 3abc 1e999))',
      ["f.lisp:1:16: invalid number '3abc'", "f.lisp:1:21: number '1e999' is out of range"],
    ],
    [
      '(tree "a" (log "x" a#b : $ $a:b:c :a,b))',
      [
        "f.lisp:1:20: invalid symbol 'a#b'",
        "f.lisp:1:24: expected a keyword name after ':'",
        "f.lisp:1:26: expected a key after '$'",
        "f.lisp:1:28: invalid key read '$a:b:c'",
        "f.lisp:1:35: invalid keyword ':a,b'",
      ],
    ],
    // Brackets
    [
      '(tree "a" (sequence (success)]',
      [
        "f.lisp:1:1: unclosed '(' (expected ')' before the end of the file)",
        "f.lisp:1:30: expected ')' to close '(' at 1:11, found ']'",
      ],
    ],
    ['(tree "a" (log "m" [1 2))', ["f.lisp:1:24: expected ']' to close '[' at 1:20, found ')'"]],
    ['(tree "a" (success))\n)', ["f.lisp:2:1: unexpected ')' (no matching '(')"]],
    // File and tree shape
    ['', ['f.lisp:1:1: expected at least one (tree "name" NODE) form']],
    ['; only a comment\n', ['f.lisp:1:1: expected at least one (tree "name" NODE) form']],
    [
      '(sequence (success))',
      ['f.lisp:1:1: expected a (tree "name" NODE) form, found \'(sequence ...)\''],
    ],
    ['"tree"', ['f.lisp:1:1: expected a (tree "name" NODE) form, found string "tree"']],
    [
      '(tree (success))',
      ["f.lisp:1:7: expected a tree name string after 'tree', found '(success ...)'"],
    ],
    [
      '(tree "a")',
      ["f.lisp:1:1: tree 'a' has no root node (expected a node form such as (sequence ...))"],
    ],
    [
      '(tree "a" (success) (failure))',
      [
        "f.lisp:1:21: tree 'a' has more than one root node (wrap them in (sequence ...) or (selector ...))",
      ],
    ],
    [
      '(tree "a" 3)',
      [
        "f.lisp:1:1: tree 'a' has no root node (expected a node form such as (sequence ...))",
        "f.lisp:1:11: expected a root node form for tree 'a', found number 3",
      ],
    ],
    [
      '(tree "a" :main 1 (success))',
      ['f.lisp:1:17: expected true or false for :main, found number 1'],
    ],
    ['(tree "" (success))', ['f.lisp:1:7: tree name must not be empty']],
    // Node shape
    [
      '(tree "a" (sequence (success) "x" (failure)))',
      [
        'f.lisp:1:31: expected a child node form in \'sequence\', found string "x" (arguments come before children)',
      ],
    ],
    ['(tree "a" (sequence (3)))', ["f.lisp:1:22: expected a node type after '(', found number 3"]],
    ['(tree "a" (sequence ()))', ["f.lisp:1:21: empty form '()' (expected a node type)"]],
    [
      '(tree "a" (sequence (wait :ms 5 :ms 6) (wait :ms)))',
      [
        'f.lisp:1:33: duplicate keyword :ms',
        "f.lisp:1:40: missing required keyword :ms for 'wait'",
        'f.lisp:1:46: missing value for keyword :ms',
      ],
    ],
    [
      '(tree "a" (sequence :id 3 (success)))',
      ['f.lisp:1:25: expected a string for :id, found number 3'],
    ],
    ['(tree "a" (log "x" :name 3))', ['f.lisp:1:26: expected a string for :name, found number 3']],
    // Expressions
    [
      '(tree "a" (condition ()))',
      ["f.lisp:1:22: empty expression '()' (expected a function call such as (not $done))"],
    ],
    [
      '(tree "a" (condition ("f" 1)))',
      ['f.lisp:1:23: expected a function name after \'(\', found string "f"'],
    ],
    ['(tree "a" (condition {:a 1 :b}))', ['f.lisp:1:28: missing value for key :b in a map']],
    [
      '(tree "a" (condition {:a 1 :a 2 "k" 3}))',
      [
        'f.lisp:1:28: duplicate key :a in a map',
        'f.lisp:1:33: expected a keyword key in a map, found string "k"',
      ],
    ],
    [
      '(tree "a" (condition ready))',
      [
        'f.lisp:1:22: unexpected symbol \'ready\' in an expression (write $ready to read a key or "ready" for a string)',
      ],
    ],
    ['(tree "a" (condition (get)))', ["f.lisp:1:22: 'get' expects 1 to 2 arguments, found 0"]],
    ['(tree "a" (condition (now 1)))', ["f.lisp:1:22: 'now' expects no arguments, found 1"]],
    ['(tree "a" (condition (- )))', ["f.lisp:1:22: '-' expects at least 1 argument, found 0"]],
    [
      '(tree "a" (condition (not (wait 1))))',
      ["f.lisp:1:27: unknown function 'wait' ('wait' is a node, not an expression)"],
    ],
    // Nodes
    ['(tree "a" (invert))', ["f.lisp:1:11: 'invert' expects exactly 1 child, found 0"]],
    ['(tree "a" (sequence))', ["f.lisp:1:11: 'sequence' expects at least 1 child, found 0"]],
    ['(tree "a" (success (failure)))', ["f.lisp:1:20: 'success' expects no children, found 1"]],
    ['(tree "a" (success 1))', ["f.lisp:1:20: 'success' expects no arguments, found 1"]],
    [
      '(tree "a" (condition 1 2))',
      ["f.lisp:1:24: 'condition' expects exactly 1 argument, found 2"],
    ],
    [
      '(tree "a" (guard (success)))',
      ["f.lisp:1:11: missing required argument 'condition' for 'guard'"],
    ],
    ['(tree "a" (action :x 1))', ["f.lisp:1:11: missing required argument 'action' for 'action'"]],
    [
      '(tree "a" (action 3))',
      [
        "f.lisp:1:19: expected a name (symbol or string) for argument 'action' of 'action', found number 3",
      ],
    ],
    [
      '(tree "a" (log 3))',
      ["f.lisp:1:16: expected a string for argument 'message' of 'log', found number 3"],
    ],
    [
      '(tree "a" (set $x 1))',
      ["f.lisp:1:16: expected a key string for argument 'key' of 'set', found $x"],
    ],
    [
      '(tree "a" (set "" 1))',
      ["f.lisp:1:16: expected a non-empty key for argument 'key' of 'set'"],
    ],
    [
      '(tree "a" (unset "global:"))',
      ["f.lisp:1:18: expected a key after 'global:' in key 'global:'"],
    ],
    [
      '(tree "a" (for-each :in [1] :as x (success)))',
      ["f.lisp:1:33: expected a string for :as of 'for-each', found symbol 'x'"],
    ],
    [
      '(tree "a" (repeat :times :x (success)))',
      ["f.lisp:1:26: expected a number for :times of 'repeat', found keyword :x"],
    ],
    [
      '(tree "a" (set "k" 1 :foo 2))',
      ["f.lisp:1:22: unknown keyword :foo for 'set' (expected :id, :name, :stuck-after)"],
    ],
    [
      '(tree "a" (sequence (> $a 1)))',
      ["f.lisp:1:22: unknown node type '>' ('>' is an expression; test it with (condition ...))"],
    ],
    [
      '(tree "a" (tree "b" (success)))',
      ["f.lisp:1:12: unknown node type 'tree' ('tree' forms are only allowed at the top level)"],
    ],
    [
      '(tree "a" (option 1 (success)))',
      ["f.lisp:1:11: 'option' is only allowed inside 'scoring-selector'"],
    ],
    [
      '(tree "a" (scoring-selector (sequence (success))))',
      ["f.lisp:1:29: 'scoring-selector' accepts only 'option' children, found 'sequence'"],
    ],
    [
      '(tree "a" (sequence :id "0.1" (success)))',
      ['f.lisp:1:25: :id \'0.1\' looks like a path id (such as "0.2"); choose a name'],
    ],
    ['(tree "a" (sequence :id "" (success)))', ['f.lisp:1:25: :id must not be empty']],
    // Trees
    [
      '(tree "a" (sequence :id "x" (success :id "x")))',
      ["f.lisp:1:42: duplicate id 'x' in tree 'a' (first used at 1:11)"],
    ],
    [
      '(tree "a" (success))\n(tree "a" (failure))',
      ["f.lisp:2:7: duplicate tree name 'a' (first defined at 1:1)"],
    ],
    [
      '(tree "a" :main true (success))\n(tree "b" :main true (success))',
      ['f.lisp:2:17: only one tree may be :main true (another one is at 1:1)'],
    ],
    [
      '(tree "a" (subtree "b"))\n(tree "b" (subtree "c"))\n(tree "c" (subtree "a"))\n(tree "d" (subtree "d"))',
      [
        "f.lisp:3:20: recursive subtree: 'a' -> 'b' -> 'c' -> 'a'",
        "f.lisp:4:20: recursive subtree: 'd' -> 'd'",
      ],
    ],
    ['(tree "a" (subtree "nowhere"))', ["f.lisp:1:20: unknown subtree 'nowhere'"]],
  ])('reports %j', (source, expected) => {
    expect(errors(source)).toEqual(expected);
  });

  // The engine's build reads keys and `parallel` with these same rules (libs/engine build.spec.ts).
  it.each([
    [
      'a set key with an empty segment',
      '(tree "a" (set "a//b" 1))',
      "f.lisp:1:16: key 'a//b' has an empty segment (leading, trailing or double /): no tree can address it",
      DslErrorCode.BadKey,
    ],
    [
      'an unset key ending with /',
      '(tree "a" (unset "x/"))',
      "f.lisp:1:18: key 'x/' has an empty segment (leading, trailing or double /): no tree can address it",
      DslErrorCode.BadKey,
    ],
    [
      'an llm-call :into key starting with / after its scope',
      '(tree "a" (llm-call :prompt "p" :into "team:/x"))',
      "f.lisp:1:39: key 'team:/x' has an empty segment (leading, trailing or double /): no tree can address it",
      DslErrorCode.BadKey,
    ],
    [
      'a get of a literal key with an empty segment',
      '(tree "a" (condition (get "a//b" 0)))',
      "f.lisp:1:27: key 'a//b' has an empty segment (leading, trailing or double /): no tree can address it",
      DslErrorCode.BadKey,
    ],
    [
      'a get of an empty literal key',
      '(tree "a" (set "x" (+ 1 (get ""))))',
      "f.lisp:1:30: expected a non-empty key for 'get'",
      DslErrorCode.BadKey,
    ],
    [
      'a get of a scope without a key',
      '(tree "a" (condition (get "team:")))',
      "f.lisp:1:27: expected a key after 'team:' in key 'team:'",
      DslErrorCode.BadKey,
    ],
    [
      'parallel with :policy and :success',
      '(tree "a" (parallel :policy :require-one :success 1 (success)))',
      "f.lisp:1:42: 'parallel' takes :success or :policy, not both (:policy is shorthand for :success)",
      DslErrorCode.BadArgument,
    ],
  ])('rejects %s', (_rule, source, message, code) => {
    const result = compile(source, { file: 'f.lisp' });
    expect(result.document).toBeUndefined();
    expect(result.errors.map(formatError)).toEqual([message]);
    expect(result.errors.map((e) => e.code)).toEqual([code]);
  });

  it('resolves subtrees in other files through knownTrees', () => {
    const result = compile('(tree "a" (subtree "shared/patrol" :speed 2))', {
      knownTrees: ['shared/patrol'],
    });
    expect(result.errors).toEqual([]);
  });

  it('uses <input> as the file name by default', () => {
    expect(compile('(tree "a")').errors.map(formatError)).toEqual([
      "<input>:1:1: tree 'a' has no root node (expected a node form such as (sequence ...))",
    ]);
  });

  it('counts lines across \\n, \\r\\n and \\r', () => {
    expect(errors('(tree "a"\r\n\r(sequence\n  (foo)))')).toEqual([
      "f.lisp:4:4: unknown node type 'foo'",
    ]);
  });

  it('reports too deep nesting instead of overflowing the stack', () => {
    const deep = `(tree "a" (log "x" ${'['.repeat(5000)}${']'.repeat(5000)}))`;
    expect(errors(deep)).toEqual(['f.lisp:1:218: forms nested deeper than 200 levels']);
  });
});
