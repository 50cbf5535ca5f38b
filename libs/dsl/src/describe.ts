import type { ExprJson } from '@canopy/engine';
import type { Sexp } from './ast';
import { formatNumber, quoteString } from './syntax';

/** How a value is named in "found ..." parts of messages. */

const MAX_SHOWN = 40;

function shortString(value: string): string {
  const quoted = quoteString(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value);
  return `string ${quoted}`;
}

export function describeSexp(form: Sexp): string {
  switch (form.kind) {
    case 'number':
      return `number ${formatNumber(form.value)}`;
    case 'string':
      return shortString(form.value);
    case 'symbol':
      return `symbol '${form.name}'`;
    case 'keyword':
      return `keyword :${form.name}`;
    case 'var':
      return `$${form.path}`;
    case 'boolean':
      return String(form.value);
    case 'nil':
      return 'nil';
    case 'error':
      return 'an invalid token';
    case 'list': {
      const head = form.items[0];
      if (!head) return `'()'`;
      return head.kind === 'symbol' ? `'(${head.name} ...)'` : `a list '(...)'`;
    }
    case 'vector':
      return 'a list [...]';
    case 'map':
      return 'a map {...}';
  }
}

export function describeExpr(expr: ExprJson): string {
  if (expr === null) return 'nil';
  if (typeof expr === 'number') return `number ${formatNumber(expr)}`;
  if (typeof expr === 'string') return shortString(expr);
  if (typeof expr === 'boolean') return String(expr);
  if ('$' in expr) return `$${expr.$}`;
  if ('sym' in expr) return `symbol '${expr.sym}'`;
  if ('kw' in expr) return `keyword :${expr.kw}`;
  if ('call' in expr) return `'(${expr.call} ...)'`;
  if ('list' in expr) return 'a list [...]';
  return 'a map {...}';
}

/** For values of unknown shape in JSON input. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return shortString(value);
    case 'number':
      return `number ${String(value)}`;
    case 'boolean':
      return `boolean ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}
