import { KeyReader, readRef } from '../blackboard/access';
import { parseKey, type KeyRef } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import { EXPR_FUNCTIONS } from '../model/catalog';
import type { ExprJson } from '../model/json';
import type { EvalEnv, Evaluator } from './env';
import { ExprCompileError, ExprError, typeError } from './expr-error';
import { FUNCTION_COMPILERS, type FunctionCompiler } from './functions';

/**
 * A compiled sub-expression. A constant's evaluator is made only if something asks for it
 * (`evOf`): most constants are folded into their parent (`(= $x 1)`, list literals).
 */
class Compiled {
  constructor(
    public ev: Evaluator | null,
    /** Known at build time: lets list and map literals fold into one frozen value. */
    readonly constant: boolean,
    readonly value: unknown,
    /** A plain `$key`: its reader, so a parent can read the key without calling `ev`. */
    readonly reader: KeyReader | null = null,
  ) {}
}

function constant(value: unknown): Compiled {
  return new Compiled(null, true, value);
}

function dynamic(ev: Evaluator): Compiled {
  return new Compiled(ev, false, undefined);
}

function evOf(c: Compiled): Evaluator {
  if (c.ev === null) {
    const value = c.value;
    c.ev = () => value;
  }
  return c.ev;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

// Maps: looking names up in the big object literals was a measurable part of a build.
const ARITY: ReadonlyMap<string, { min: number; max: number }> = new Map(
  Object.entries(EXPR_FUNCTIONS),
);
const COMPILERS: ReadonlyMap<string, FunctionCompiler> = new Map(
  Object.entries(FUNCTION_COMPILERS),
);

function compilerOf(name: string): FunctionCompiler {
  const f = COMPILERS.get(name);
  if (f === undefined) throw new ExprCompileError('UNKNOWN_FUNCTION', `unknown function '${name}'`);
  return f;
}

function bad(message: string): never {
  throw new ExprCompileError('BAD_EXPRESSION', message);
}

/**
 * Compiles an expression once, at build time, into a closure over the node's scope chain: no
 * AST is walked on the tick path. Throws ExprCompileError on malformed or unknown forms.
 */
export function compileExpr(expr: ExprJson, scope: LocalScope | null): Evaluator {
  return evOf(compile(expr, scope));
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
    return variable(e.$, scope);
  }
  if ('sym' in e)
    return typeof e.sym === 'string' ? constant(e.sym) : bad('a symbol needs a string name');
  if ('kw' in e)
    return typeof e.kw === 'string' ? constant(`:${e.kw}`) : bad('a keyword needs a string name');
  if ('call' in e) {
    if (typeof e.call !== 'string' || !Array.isArray(e.args))
      return bad('a call needs `call` and `args`');
    return dynamic(call(e.call, e.args, scope));
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
  const evs = items.map(evOf);
  return dynamic((env) => {
    const out = new Array<unknown>(evs.length);
    for (let i = 0; i < evs.length; i++) out[i] = evs[i](env);
    return out;
  });
}

function map(entries: (readonly [string, Compiled])[]): Compiled {
  if (entries.every(([, c]) => c.constant)) {
    return constant(deepFreeze(Object.fromEntries(entries.map(([k, c]) => [k, c.value]))));
  }
  const keys = entries.map(([k]) => k);
  const evs = entries.map(([, c]) => evOf(c));
  return dynamic((env) => {
    const out: Record<string, unknown> = {};
    // Own properties even for a `__proto__` key (as the constant form's Object.fromEntries):
    // assignment would set the object's prototype and the key would vanish.
    for (let i = 0; i < keys.length; i++) {
      const value = evs[i](env);
      if (keys[i] !== '__proto__') out[keys[i]] = value;
      else Object.defineProperty(out, keys[i], { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  });
}

function refOf(text: string): KeyRef {
  return parseKey(text) ?? bad(`malformed key '${text}'`);
}

function variable(text: string, scope: LocalScope | null): Compiled {
  const ref = refOf(text);
  if (ref.scope === null && ref.path === null) {
    const reader = new KeyReader(scope, ref.key);
    const ev: Evaluator = (env) => {
      const v = reader.read(env.store);
      return v === undefined ? null : v;
    };
    return new Compiled(ev, false, undefined, reader);
  }
  return dynamic((env) => {
    const v = readRef(env.store, scope, ref);
    return v === undefined ? null : v;
  });
}

function call(name: string, argExprs: readonly ExprJson[], scope: LocalScope | null): Evaluator {
  const arity = ARITY.get(name);
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
  if ((name === '=' || name === '!=') && argExprs.length === 2) {
    const a = compile(argExprs[0], scope);
    const b = compile(argExprs[1], scope);
    return equalsConstant(a, b, name === '=') ?? compilerOf(name)([evOf(a), evOf(b)]);
  }
  const evs: Evaluator[] = [];
  for (let i = 0; i < argExprs.length; i++) evs.push(evOf(compile(argExprs[i], scope)));
  return compilerOf(name)(evs);
}

function primitive(c: Compiled): boolean {
  return c.constant && (typeof c.value !== 'object' || c.value === null);
}

/** `(= $x 1)`, the commonest condition: against a primitive, deep equality is `===`. */
function equalsConstant(a: Compiled, b: Compiled, equal: boolean): Evaluator | undefined {
  let k: Compiled;
  let o: Compiled;
  if (primitive(b)) {
    k = b;
    o = a;
  } else if (primitive(a)) {
    k = a;
    o = b;
  } else {
    return undefined;
  }
  const c = k.value;
  const reader = o.reader;
  if (reader !== null) {
    // One closure, not two: the call saved is a measurable part of a condition's tick.
    return equal
      ? (env) => {
          const v = reader.read(env.store);
          return (v === undefined ? null : v) === c;
        }
      : (env) => {
          const v = reader.read(env.store);
          return (v === undefined ? null : v) !== c;
        };
  }
  const other = evOf(o);
  return equal ? (env) => other(env) === c : (env) => other(env) !== c;
}

/** `(get KEY DEFAULT)`: the default when the key (or a nested field) is missing. */
function get(argExprs: readonly ExprJson[], scope: LocalScope | null): Evaluator {
  const dflt = argExprs.length > 1 ? evOf(compile(argExprs[1], scope)) : (): unknown => null;
  const keyExpr = argExprs[0];
  if (typeof keyExpr === 'string') {
    const ref = refOf(keyExpr);
    return (env) => {
      const v = readRef(env.store, scope, ref);
      return v === undefined ? dflt(env) : v;
    };
  }
  const key = evOf(compile(keyExpr, scope));
  return (env: EvalEnv) => {
    const k = key(env);
    if (typeof k !== 'string') throw typeError('get', 'a string key', k);
    const ref = parseKey(k);
    if (ref === undefined) throw new ExprError('BAD_ARGUMENT', `(get) malformed key '${k}'`);
    const v = readRef(env.store, scope, ref);
    return v === undefined ? dflt(env) : v;
  };
}
