import type { ExprJson } from '../model/json';

/**
 * How values are shown in messages: as they are written in tree files, since that is what the
 * author sees (also for documents that came as JSON: the same messages everywhere).
 */

const MAX_SHOWN = 40;

/** A string literal as tree files write it, with the escapes `\" \\ \n \t`. */
export function quoteString(value: string): string {
  let out = '"';
  for (const ch of value) {
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + '"';
}

/** What a value is, for "found ..." parts of messages: `string "x"`, `keyword :k`, `$a/b`. */
export function describeExpr(expr: ExprJson): string {
  if (expr === null) return 'nil';
  // String(-0) is "0", as -0 is written.
  if (typeof expr === 'number') return `number ${String(expr)}`;
  if (typeof expr === 'string')
    return `string ${quoteString(expr.length > MAX_SHOWN ? `${expr.slice(0, MAX_SHOWN)}...` : expr)}`;
  if (typeof expr === 'boolean') return String(expr);
  if ('$' in expr) return `$${expr.$}`;
  if ('sym' in expr) return `symbol '${expr.sym}'`;
  if ('kw' in expr) return `keyword :${expr.kw}`;
  if ('call' in expr) return `'(${expr.call} ...)'`;
  if ('list' in expr) return 'a list [...]';
  return 'a map {...}';
}

/** "exactly 1 child", "at least 1 argument", "1 to 2 arguments", "no children". */
export function quantity(min: number, max: number, one: string, many: string): string {
  const noun = (n: number): string => (n === 1 ? one : many);
  if (max === 0) return `no ${many}`;
  if (min === max) return `exactly ${min} ${noun(min)}`;
  if (max === Number.POSITIVE_INFINITY) return `at least ${min} ${noun(min)}`;
  return `${min} to ${max} ${many}`;
}
