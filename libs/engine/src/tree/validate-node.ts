import { parseKey } from '../blackboard/keys';
import type { BuildErrorCode } from '../errors';
import type { ArgSpec, NodeSpec } from '../model/catalog';
import type { ExprJson, NodeJson } from '../model/json';

type Fail = (code: BuildErrorCode, message: string) => never;

function isRuntimeExpr(e: ExprJson): boolean {
  return typeof e === 'object' && e !== null && ('$' in e || 'call' in e);
}

function checkKind(e: ExprJson, arg: ArgSpec, where: string, fail: Fail): void {
  const bad = (what: string): never =>
    fail('BAD_ARGUMENT', `${where} must be ${what}, got ${JSON.stringify(e)}`);
  switch (arg.kind) {
    case 'string':
      if (typeof e !== 'string') bad('a string');
      return;
    case 'name':
      if (typeof e !== 'string' && !(typeof e === 'object' && e !== null && 'sym' in e))
        bad('a name');
      return;
    case 'key':
      if (typeof e !== 'string' || parseKey(e) === undefined) bad('a blackboard key');
      return;
    case 'boolean':
      if (typeof e !== 'boolean') bad('true or false');
      return;
    case 'keyword':
      if (!(
        typeof e === 'object' &&
        e !== null &&
        'kw' in e &&
        (arg.choices ?? []).includes(e.kw)
      )) {
        bad(`one of ${(arg.choices ?? []).map((c) => `:${c}`).join(' ')}`);
      }
      return;
    case 'number':
      if (typeof e !== 'number' && !isRuntimeExpr(e)) bad('a number');
      return;
    default:
      return;
  }
}

/** Checks a node's arguments and children against its catalogue entry. */
export function validateNode(json: NodeJson, spec: NodeSpec, fail: Fail): void {
  const args = json.args ?? [];
  if (!Array.isArray(args)) fail('BAD_ARGUMENT', `'args' of (${json.type}) must be an array`);
  const pos = spec.positional;
  if (args.length > pos.length && !spec.variadic) {
    fail(
      'BAD_ARGUMENT',
      `(${json.type}) takes ${pos.length} positional argument(s), got ${args.length}`,
    );
  }
  for (let i = 0; i < pos.length; i++) {
    if (pos[i].required && args[i] === undefined)
      fail('BAD_ARGUMENT', `(${json.type}) needs its ${pos[i].name} argument`);
  }
  args.forEach((a, i) => {
    const arg = pos[Math.min(i, pos.length - 1)];
    checkKind(a, arg, `${arg.name} of (${json.type})`, fail);
  });

  const kwargs = json.kwargs ?? {};
  if (typeof kwargs !== 'object' || Array.isArray(kwargs))
    fail('BAD_ARGUMENT', `'kwargs' of (${json.type}) must be an object`);
  for (const [k, v] of Object.entries(kwargs)) {
    const arg = spec.keywords.find((s) => s.name === k);
    if (arg) checkKind(v, arg, `:${k} of (${json.type})`, fail);
    else if (!spec.openKeywords) fail('BAD_ARGUMENT', `(${json.type}) has no keyword :${k}`);
  }
  for (const arg of spec.keywords) {
    // `semaphore :name` shadows the common label attribute; accept it in either place.
    const given =
      kwargs[arg.name] !== undefined || (arg.name === 'name' && json.name !== undefined);
    if (arg.required && !given) fail('BAD_ARGUMENT', `(${json.type}) needs :${arg.name}`);
  }

  const children = json.children ?? [];
  if (!Array.isArray(children)) fail('BAD_ARITY', `'children' of (${json.type}) must be an array`);
  const { min, max } = spec.children;
  if (children.length < min || children.length > max) {
    const want = max === min ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail('BAD_ARITY', `(${json.type}) takes ${want} child node(s), got ${children.length}`);
  }
}
