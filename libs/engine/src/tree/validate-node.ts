import { parseKey } from '../blackboard/keys';
import type { BuildErrorCode } from '../errors';
import type { ExprJson, NodeJson } from '../model/json';
import type { ArgRule, BuildSpec } from './build-spec';

/** Throws the node's BuildError; messages are only built when something is wrong. */
export interface Failer {
  fail(code: BuildErrorCode, message: string): never;
}

function isRuntimeExpr(e: ExprJson): boolean {
  return typeof e === 'object' && e !== null && ('$' in e || 'call' in e);
}

function kindOk(e: ExprJson, arg: ArgRule): boolean {
  switch (arg.kind) {
    case 'string':
      return typeof e === 'string';
    case 'name':
      return typeof e === 'string' || (typeof e === 'object' && e !== null && 'sym' in e);
    case 'key':
      return typeof e === 'string' && parseKey(e) !== undefined;
    case 'boolean':
      return typeof e === 'boolean';
    case 'keyword':
      return typeof e === 'object' && e !== null && 'kw' in e && arg.choices.includes(e.kw);
    case 'number':
      return typeof e === 'number' || isRuntimeExpr(e);
    default:
      return true;
  }
}

function expected(arg: ArgRule): string {
  switch (arg.kind) {
    case 'string':
      return 'a string';
    case 'name':
      return 'a name';
    case 'key':
      return 'a blackboard key';
    case 'boolean':
      return 'true or false';
    case 'keyword':
      return `one of ${arg.choices.map((c) => `:${c}`).join(' ')}`;
    default:
      return 'a number';
  }
}

function badKind(e: ExprJson, arg: ArgRule, where: string, f: Failer): never {
  return f.fail('BAD_ARGUMENT', `${where} must be ${expected(arg)}, got ${JSON.stringify(e)}`);
}

/** Checks a node's arguments and children against its catalogue entry. */
export function validateNode(json: NodeJson, spec: BuildSpec, f: Failer): void {
  // `null` counts as absent, like a missing field.
  const args = json.args ?? undefined;
  const pos = spec.positional;
  if (args !== undefined) {
    if (!Array.isArray(args)) f.fail('BAD_ARGUMENT', `'args' of (${json.type}) must be an array`);
    if (args.length > pos.length && !spec.variadic) {
      f.fail(
        'BAD_ARGUMENT',
        `(${json.type}) takes ${pos.length} positional argument(s), got ${args.length}`,
      );
    }
  }
  for (let i = 0; i < pos.length; i++) {
    if (pos[i].required && (args === undefined || args[i] === undefined))
      f.fail('BAD_ARGUMENT', `(${json.type}) needs its ${pos[i].name} argument`);
  }
  if (args !== undefined) {
    for (let i = 0; i < args.length; i++) {
      if (!(i in args)) continue; // a hole, as forEach skips it
      const arg = pos[Math.min(i, pos.length - 1)];
      const a = args[i];
      if (!kindOk(a, arg)) badKind(a, arg, `${arg.name} of (${json.type})`, f);
    }
  }

  const kwargs = json.kwargs ?? undefined;
  if (kwargs !== undefined) {
    if (typeof kwargs !== 'object' || Array.isArray(kwargs))
      f.fail('BAD_ARGUMENT', `'kwargs' of (${json.type}) must be an object`);
    for (const k of Object.keys(kwargs)) {
      const arg = spec.keywords.find((s) => s.name === k);
      if (arg) {
        const v = kwargs[k];
        if (!kindOk(v, arg)) badKind(v, arg, `:${k} of (${json.type})`, f);
      } else if (!spec.openKeywords) f.fail('BAD_ARGUMENT', `(${json.type}) has no keyword :${k}`);
    }
  }
  const keywords = spec.keywords;
  for (let i = 0; i < keywords.length; i++) {
    const arg = keywords[i];
    if (!arg.required) continue;
    // `semaphore :name` shadows the common label attribute; accept it in either place.
    const given =
      (kwargs !== undefined && kwargs[arg.name] !== undefined) ||
      (arg.name === 'name' && json.name !== undefined);
    if (!given) f.fail('BAD_ARGUMENT', `(${json.type}) needs :${arg.name}`);
  }

  const children = json.children ?? undefined;
  let count = 0;
  if (children !== undefined) {
    if (!Array.isArray(children))
      f.fail('BAD_ARITY', `'children' of (${json.type}) must be an array`);
    count = children.length;
  }
  const min = spec.minChildren;
  const max = spec.maxChildren;
  if (count < min || count > max) {
    const want = max === min ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    f.fail('BAD_ARITY', `(${json.type}) takes ${want} child node(s), got ${count}`);
  }
}
