import { readKey, readRef } from '../blackboard/access';
import { parseKey, type KeyRef } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import { EXPR_FUNCTIONS } from '../model/catalog';
import type { ExprJson } from '../model/json';
import type { EvalEnv, Evaluator } from './env';
import { ExprCompileError, ExprError, typeError } from './expr-error';
import { FUNCTION_COMPILERS } from './functions';

interface Compiled {
  ev: Evaluator;
  /** Known at build time: lets list and map literals fold into one frozen value. */
  constant: boolean;
  value?: unknown;
}

function constant(value: unknown): Compiled {
  return { ev: () => value, constant: true, value };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function bad(message: string): never {
  throw new ExprCompileError('BAD_EXPRESSION', message);
}

/**
 * Compiles an expression once, at build time, into a closure over the node's scope chain: no
 * AST is walked on the tick path. Throws ExprCompileError on malformed or unknown forms.
 */
export function compileExpr(expr: ExprJson, scope: LocalScope | null): Evaluator {
  return compile(expr, scope).ev;
}

/** The value of an expression that needs no run time (a literal), else `undefined`. */
export function constantOf(
  expr: ExprJson,
  scope: LocalScope | null,
): { value: unknown } | undefined {
  const c = compile(expr, scope);
  return c.constant ? { value: c.value } : undefined;
}

function compile(e: ExprJson, scope: LocalScope | null): Compiled {
  if (e === null || typeof e === 'number' || typeof e === 'string' || typeof e === 'boolean') {
    return constant(e);
  }
  if (typeof e !== 'object' || Array.isArray(e))
    return bad(`not an expression: ${JSON.stringify(e)}`);
  if ('$' in e) {
    if (typeof e.$ !== 'string') return bad('a variable needs a string path');
    return { ev: variable(e.$, scope), constant: false };
  }
  if ('sym' in e)
    return typeof e.sym === 'string' ? constant(e.sym) : bad('a symbol needs a string name');
  if ('kw' in e)
    return typeof e.kw === 'string' ? constant(`:${e.kw}`) : bad('a keyword needs a string name');
  if ('call' in e) {
    if (typeof e.call !== 'string' || !Array.isArray(e.args))
      return bad('a call needs `call` and `args`');
    return { ev: call(e.call, e.args, scope), constant: false };
  }
  if ('list' in e) {
    if (!Array.isArray(e.list)) return bad('`list` must be an array');
    return list(e.list.map((x) => compile(x, scope)));
  }
  if ('map' in e) {
    if (typeof e.map !== 'object' || e.map === null || Array.isArray(e.map))
      return bad('`map` must be an object');
    return map(Object.entries(e.map).map(([k, x]) => [k, compile(x, scope)] as const));
  }
  return bad(`not an expression: ${JSON.stringify(e)}`);
}

function list(items: Compiled[]): Compiled {
  if (items.every((c) => c.constant)) return constant(deepFreeze(items.map((c) => c.value)));
  const evs = items.map((c) => c.ev);
  return {
    ev: (env) => {
      const out = new Array<unknown>(evs.length);
      for (let i = 0; i < evs.length; i++) out[i] = evs[i](env);
      return out;
    },
    constant: false,
  };
}

function map(entries: (readonly [string, Compiled])[]): Compiled {
  if (entries.every(([, c]) => c.constant)) {
    return constant(deepFreeze(Object.fromEntries(entries.map(([k, c]) => [k, c.value]))));
  }
  return {
    ev: (env) => {
      const out: Record<string, unknown> = {};
      for (const [k, c] of entries) out[k] = c.ev(env);
      return out;
    },
    constant: false,
  };
}

function refOf(text: string): KeyRef {
  return parseKey(text) ?? bad(`malformed key '${text}'`);
}

function variable(text: string, scope: LocalScope | null): Evaluator {
  const ref = refOf(text);
  if (ref.scope === null && ref.path === null) {
    const key = ref.key;
    return (env) => {
      const v = readKey(env.store, scope, key);
      return v === undefined ? null : v;
    };
  }
  return (env) => {
    const v = readRef(env.store, scope, ref);
    return v === undefined ? null : v;
  };
}

function call(name: string, argExprs: readonly ExprJson[], scope: LocalScope | null): Evaluator {
  const arity = Object.hasOwn(EXPR_FUNCTIONS, name) ? EXPR_FUNCTIONS[name] : undefined;
  if (arity === undefined)
    throw new ExprCompileError('UNKNOWN_FUNCTION', `unknown function '${name}'`);
  if (argExprs.length < arity.min || argExprs.length > arity.max) {
    const want =
      arity.max === arity.min
        ? `${arity.min}`
        : arity.max === Infinity
          ? `at least ${arity.min}`
          : `${arity.min} to ${arity.max}`;
    throw new ExprCompileError(
      'EXPR_ARITY',
      `(${name}) takes ${want} argument(s), got ${argExprs.length}`,
    );
  }
  if (name === 'get') return get(argExprs, scope);
  const compiled = argExprs.map((a) => compile(a, scope));
  if ((name === '=' || name === '!=') && compiled.length === 2) {
    const fast = equalsConstant(compiled[0], compiled[1], name === '=');
    if (fast) return fast;
  }
  return FUNCTION_COMPILERS[name](compiled.map((c) => c.ev));
}

/** `(= $x 1)`, the commonest condition: against a primitive, deep equality is `===`. */
function equalsConstant(a: Compiled, b: Compiled, equal: boolean): Evaluator | undefined {
  const primitive = (c: Compiled): boolean =>
    c.constant && (typeof c.value !== 'object' || c.value === null);
  const [k, other] = primitive(b) ? [b, a.ev] : primitive(a) ? [a, b.ev] : [undefined, undefined];
  if (k === undefined || other === undefined) return undefined;
  const c = k.value;
  return equal ? (env) => other(env) === c : (env) => other(env) !== c;
}

/** `(get KEY DEFAULT)`: the default when the key (or a nested field) is missing. */
function get(argExprs: readonly ExprJson[], scope: LocalScope | null): Evaluator {
  const dflt = argExprs.length > 1 ? compile(argExprs[1], scope).ev : (): unknown => null;
  const keyExpr = argExprs[0];
  if (typeof keyExpr === 'string') {
    const ref = refOf(keyExpr);
    return (env) => {
      const v = readRef(env.store, scope, ref);
      return v === undefined ? dflt(env) : v;
    };
  }
  const key = compile(keyExpr, scope).ev;
  return (env: EvalEnv) => {
    const k = key(env);
    if (typeof k !== 'string') throw typeError('get', 'a string key', k);
    const ref = parseKey(k);
    if (ref === undefined) throw new ExprError('BAD_ARGUMENT', `(get) malformed key '${k}'`);
    const v = readRef(env.store, scope, ref);
    return v === undefined ? dflt(env) : v;
  };
}
