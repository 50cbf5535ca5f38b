import type { Evaluator } from './env';
import { ExprError, typeError } from './expr-error';
import { deepEqual, display, isMap, truthy } from './values';

/** Builds the closure for one call site; arity is already checked against EXPR_FUNCTIONS. */
export type FunctionCompiler = (args: readonly Evaluator[]) => Evaluator;

function num(op: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(op, 'numbers', v);
  return v;
}

function divisor(op: string, v: unknown): number {
  const d = num(op, v);
  if (d === 0) throw new ExprError('EXPR_TYPE', `(${op}) division by zero`);
  return d;
}

/** Left fold with a two-argument fast path, the shape almost every call site has. */
function fold(op: string, f: (x: number, y: number) => number, check = num): FunctionCompiler {
  return (args) => {
    if (args.length === 2) {
      const [a, b] = args;
      return (env) => f(num(op, a(env)), check(op, b(env)));
    }
    return (env) => {
      let acc = num(op, args[0](env));
      for (let i = 1; i < args.length; i++) acc = f(acc, check(op, args[i](env)));
      return acc;
    };
  };
}

function ordered(op: string, v: unknown): number | string {
  if (typeof v !== 'number' && typeof v !== 'string') throw typeError(op, 'numbers or strings', v);
  return v;
}

function compare(
  op: string,
  test: (x: number | string, y: number | string) => boolean,
): FunctionCompiler {
  const pair = (x: unknown, y: unknown): boolean => {
    const a = ordered(op, x);
    const b = ordered(op, y);
    if (typeof a !== typeof b)
      throw new ExprError('EXPR_TYPE', `(${op}) cannot compare a ${typeof a} with a ${typeof b}`);
    return test(a, b);
  };
  return (args) => {
    if (args.length === 2) {
      const [a, b] = args;
      return (env) => pair(a(env), b(env));
    }
    return (env) => {
      let prev = args[0](env);
      for (let i = 1; i < args.length; i++) {
        const cur = args[i](env);
        if (!pair(prev, cur)) return false;
        prev = cur;
      }
      return true;
    };
  };
}

function index(op: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(op, 'an integer index', v);
  return v;
}

export const FUNCTION_COMPILERS: Readonly<Record<string, FunctionCompiler>> = {
  '+': (args) =>
    args.length === 0
      ? () => 0
      : args.length === 1
        ? (e) => num('+', args[0](e))
        : fold('+', (x, y) => x + y)(args),
  '-': (args) =>
    args.length === 1 ? (e) => -num('-', args[0](e)) : fold('-', (x, y) => x - y)(args),
  '*': (args) =>
    args.length === 0
      ? () => 1
      : args.length === 1
        ? (e) => num('*', args[0](e))
        : fold('*', (x, y) => x * y)(args),
  '/': fold('/', (x, y) => x / y, divisor),
  // Floored, like Clojure's mod: the result has the divisor's sign.
  mod: fold('mod', (x, y) => ((x % y) + y) % y, divisor),
  '=': (args) => {
    if (args.length === 2) {
      const [a, b] = args;
      return (env) => deepEqual(a(env), b(env));
    }
    return (env) => {
      const first = args[0](env);
      for (let i = 1; i < args.length; i++) if (!deepEqual(first, args[i](env))) return false;
      return true;
    };
  },
  '!=':
    ([a, b]) =>
    (env) =>
      !deepEqual(a(env), b(env)),
  '<': compare('<', (x, y) => x < y),
  '<=': compare('<=', (x, y) => x <= y),
  '>': compare('>', (x, y) => x > y),
  '>=': compare('>=', (x, y) => x >= y),
  // and/or short-circuit and return the deciding value, as in Clojure.
  and: (args) => (env) => {
    let v: unknown = true;
    for (let i = 0; i < args.length; i++) {
      v = args[i](env);
      if (!truthy(v)) return v;
    }
    return v;
  },
  or: (args) => (env) => {
    let v: unknown = null;
    for (let i = 0; i < args.length; i++) {
      v = args[i](env);
      if (truthy(v)) return v;
    }
    return v;
  },
  not:
    ([a]) =>
    (env) =>
      !truthy(a(env)),
  if: ([c, a, b]) =>
    b === undefined
      ? (env) => (truthy(c(env)) ? a(env) : null)
      : (env) => (truthy(c(env)) ? a(env) : b(env)),
  str: (args) => (env) => {
    let s = '';
    for (let i = 0; i < args.length; i++) s += display(args[i](env));
    return s;
  },
  len:
    ([a]) =>
    (env) => {
      const v = a(env);
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (v === null) return 0;
      if (isMap(v)) return Object.keys(v).length;
      throw typeError('len', 'a string, list or map', v);
    },
  nth:
    ([a, i]) =>
    (env) => {
      const coll = a(env);
      const k = index('nth', i(env));
      if (coll === null) return null;
      if (!Array.isArray(coll) && typeof coll !== 'string')
        throw typeError('nth', 'a list or string', coll);
      return k >= 0 && k < coll.length ? coll[k] : null;
    },
  contains:
    ([a, x]) =>
    (env) => {
      const coll = a(env);
      const v = x(env);
      if (coll === null) return false;
      if (Array.isArray(coll)) return coll.some((item) => deepEqual(item, v));
      if (typeof coll === 'string') {
        if (typeof v !== 'string')
          throw typeError('contains', 'a string to look for in a string', v);
        return coll.includes(v);
      }
      if (isMap(coll)) return typeof v === 'string' && Object.hasOwn(coll, v);
      throw typeError('contains', 'a list, string or map', coll);
    },
  // Collections are values: both give a new map or list and leave their argument as it was, so
  // `(set "results" (assoc $results $call/id $result))` collects into a key from a loop.
  assoc:
    ([m, k, v]) =>
    (env) => {
      const map = m(env);
      if (map !== null && !isMap(map)) throw typeError('assoc', 'a map or nil', map);
      const key = k(env);
      if (typeof key !== 'string') throw typeError('assoc', 'a string key', key);
      const out: Record<string, unknown> = { ...map };
      // Defined as an own property, also for "__proto__" (never the prototype).
      Object.defineProperty(out, key, { value: v(env), enumerable: true, writable: true, configurable: true });
      return out;
    },
  append: (args) => (env) => {
    const l = args[0](env);
    if (l !== null && !Array.isArray(l)) throw typeError('append', 'a list or nil', l);
    const out = l === null ? [] : [...l];
    for (let i = 1; i < args.length; i++) out.push(args[i](env));
    return out;
  },
  now: () => (env) => env.now,
  tick: () => (env) => env.tick,
  // The tick's batch as the host gave it (the engine never changes it): reading it allocates nothing.
  events: () => (env) => env.events,
  event:
    ([n]) =>
    (env) => {
      const name = n(env);
      if (typeof name !== 'string') throw typeError('event', 'an event name (a string)', name);
      const batch = env.events;
      for (let i = batch.length - 1; i >= 0; i--) if (batch[i].name === name) return batch[i].payload;
      return null;
    },
};
