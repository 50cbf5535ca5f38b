import { BehaviorTree, EXPR_FUNCTIONS, MemoryBlackboard, type ExprJson } from '../src';
import { compileExpr } from '../src/expr/compile';
import { ExprCompileError, ExprError } from '../src/expr/expr-error';
import { FUNCTION_COMPILERS } from '../src/expr/functions';
import { call, cond, harness, kw, n, set, sym, v } from './helpers';

const store = new MemoryBlackboard({
  exec: { x: 1, s: 'hello', l: [1, 2, { a: 3 }], m: { a: { b: 2 } }, nil: null },
});
const env = { store, now: 1234, tick: 7, events: [] };
const ev = (e: ExprJson): unknown => compileExpr(e, null)(env);
const c = call;

describe(BehaviorTree.name, () => {
  describe('expressions', () => {
    it('implements every catalogue function', () => {
      expect(
        Object.keys(EXPR_FUNCTIONS).filter((f) => f !== 'get' && !(f in FUNCTION_COMPILERS)),
      ).toEqual([]);
    });

    it.each<[string, ExprJson, unknown]>([
      ['a string literal', 'text', 'text'],
      ['a symbol is its name', sym('move-to'), 'move-to'],
      ['a keyword is :name', kw('require-all'), ':require-all'],
      ['list literal', { list: [1, v('x')] }, [1, 1]],
      ['map literal', { map: { a: v('s') } }, { a: 'hello' }],
      ['variable', v('x'), 1],
      ['missing variable is nil', v('nope'), null],
      ['nested path', v('m/a/b'), 2],
      ['list index in a path', v('l/2/a'), 3],
      ['missing nested field is nil', v('m/z/b'), null],
      ['scope prefix', v('exec:x'), 1],
      ['other scope prefix', v('global:x'), null],
      ['+', c('+', 1, 2, 3), 6],
      ['+ with no args', c('+'), 0],
      ['unary -', c('-', 5), -5],
      ['-', c('-', 10, 3, 2), 5],
      ['*', c('*', 2, 3, 4), 24],
      ['/', c('/', 7, 2), 3.5],
      ['mod is floored', c('mod', -7, 3), 2],
      [
        '= is deep',
        c('=', { list: [1, { map: { a: 1 } }] }, { list: [1, { map: { a: 1 } }] }),
        true,
      ],
      ['= with variables', c('=', v('x'), 1), true],
      ['= chained', c('=', 1, 1, 2), false],
      ['!=', c('!=', v('s'), 'hello'), false],
      ['<', c('<', 1, 2, 3), true],
      ['< chained false', c('<', 1, 3, 2), false],
      ['<= strings', c('<=', 'a', 'b'), true],
      ['>', c('>', 2, 1), true],
      ['>=', c('>=', 2, 2), true],
      ['and returns the deciding value', c('and', 1, null, 3), null],
      ['and returns the last value', c('and', 1, 'x'), 'x'],
      ['and with no args', c('and'), true],
      ['or returns the first truthy', c('or', false, 0, 1), 0],
      ['or with no args', c('or'), null],
      ['not', c('not', null), true],
      ['0 is truthy', c('not', 0), false],
      ['if', c('if', v('x'), 'yes', 'no'), 'yes'],
      ['if without else', c('if', false, 'yes'), null],
      [
        'str',
        c('str', 'a', 1, null, true, { list: [1, 'b'] }, { map: { k: 'v' } }),
        'a1true[1 "b"]{:k "v"}',
      ],
      ['len of string', c('len', v('s')), 5],
      ['len of list', c('len', v('l')), 3],
      ['len of map', c('len', v('m')), 1],
      ['len of nil', c('len', v('nope')), 0],
      ['nth', c('nth', v('l'), 1), 2],
      ['nth out of range', c('nth', v('l'), 9), null],
      ['contains in a list (deep)', c('contains', v('l'), { map: { a: 3 } }), true],
      ['contains substring', c('contains', v('s'), 'ell'), true],
      ['contains map key', c('contains', v('m'), 'a'), true],
      ['contains on nil', c('contains', v('nope'), 'a'), false],
      ['assoc adds a key to a copy', c('assoc', v('m'), 'c', v('x')), { a: { b: 2 }, c: 1 }],
      ['assoc replaces a key', c('assoc', v('m'), 'a', 0), { a: 0 }],
      ['assoc on nil makes a map', c('assoc', v('nope'), c('str', 'call_', 1), 'r'), { call_1: 'r' }],
      ['append to a copy', c('append', v('l'), 4, 'x'), [1, 2, { a: 3 }, 4, 'x']],
      ['append to nil makes a list', c('append', v('nope'), { map: { id: 'a' } }), [{ id: 'a' }]],
      ['append nothing', c('append', v('l')), [1, 2, { a: 3 }]],
      ['get', c('get', 'x'), 1],
      ['get default', c('get', 'nope', 42), 42],
      ['get nested default', c('get', 'm/a/zz', 'd'), 'd'],
      ['get with a computed key', c('get', c('str', 'm/', 'a')), { b: 2 }],
      ['get keeps a nil value', c('get', 'nil', 5), null],
      ['now is the tick time', c('now'), 1234],
      ['tick is the tick number', c('tick'), 7],
    ])('%s', (_label, e, expected) => {
      expect(ev(e)).toEqual(expected);
    });

    it('assoc and append leave their arguments as they were', () => {
      expect(ev(c('assoc', v('m'), '__proto__', 1))).toEqual(JSON.parse('{"a":{"b":2},"__proto__":1}'));
      expect(Object.getPrototypeOf(ev(c('assoc', v('m'), '__proto__', { map: { polluted: true } })))).toBe(Object.prototype);
      expect(store.get('exec', 'm')).toEqual({ a: { b: 2 } });
      expect(store.get('exec', 'l')).toEqual([1, 2, { a: 3 }]);
    });

    it('short-circuits and/or/if', () => {
      expect(ev(c('and', false, c('+', null, 1)))).toBe(false);
      expect(ev(c('or', 1, c('+', null, 1)))).toBe(1);
      expect(ev(c('if', true, 1, c('+', null, 1)))).toBe(1);
    });

    it.each<[string, ExprJson, string]>([
      ['arithmetic on nil', c('+', v('nope'), 1), '(+) expects numbers, got nil'],
      ['arithmetic on a string', c('*', 'a', 2), '(*) expects numbers, got string'],
      ['division by zero', c('/', 1, 0), '(/) division by zero'],
      ['mod by zero', c('mod', 1, 0), '(mod) division by zero'],
      ['comparing mixed types', c('<', 1, 'a'), '(<) cannot compare a number with a string'],
      ['len of a number', c('len', 3), '(len) expects a string, list or map, got number'],
      ['nth with a bad index', c('nth', v('l'), 'a'), '(nth) expects an integer index, got string'],
      ['assoc on a list', c('assoc', v('l'), 'a', 1), '(assoc) expects a map or nil, got list'],
      ['assoc with a number key', c('assoc', v('m'), 1, 1), '(assoc) expects a string key, got number'],
      ['append to a map', c('append', v('m'), 1), '(append) expects a list or nil, got map'],
      [
        'get with a non-string key',
        c('get', c('+', 1, 1)),
        '(get) expects a string key, got number',
      ],
    ])('raises EXPR_TYPE for %s', (_label, e, message) => {
      expect(() => ev(e)).toThrow(new ExprError('EXPR_TYPE', message));
    });

    it('rejects unknown functions, bad arity and malformed forms at compile time', () => {
      expect(() => compileExpr(c('frobnicate', 1), null)).toThrow(ExprCompileError);
      expect(() => compileExpr(c('not', 1, 2), null)).toThrow('(not) takes 1 argument(s), got 2');
      expect(() => compileExpr({ nope: 1 } as unknown as ExprJson, null)).toThrow(
        'not an expression',
      );
    });

    it('fails the node and records the error with its id, without throwing out of tick()', () => {
      const h = harness(n('sequence', set('y', c('+', v('y'), 1), 'inc'), cond(true, 'after')));
      const r = h.tree.tick();
      expect(r.status).toBe('FAILURE');
      expect(r.errors).toEqual([
        { nodeId: 'inc', code: 'EXPR_TYPE', message: '(+) expects numbers, got nil' },
      ]);
      expect(r.nodes).toEqual([
        { id: 'inc', from: 'IDLE', to: 'FAILURE' },
        { id: '0', from: 'IDLE', to: 'FAILURE' },
      ]);
      expect(r.writes).toEqual([]);
    });

    it('freezes literal collections so actions cannot corrupt them', () => {
      const list = ev({ list: [1, { list: [2] }] }) as unknown[];
      expect(Object.isFrozen(list)).toBe(true);
      expect(Object.isFrozen(list[1])).toBe(true);
    });
  });
});
