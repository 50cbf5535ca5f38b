import { describeExpr } from '@canopy/engine';
import type { Sexp } from './ast';

/** How a form or a JSON value is named in "found ..." parts of messages (atoms as expressions). */

export function describeSexp(form: Sexp): string {
  switch (form.kind) {
    case 'number':
    case 'string':
    case 'boolean':
      return describeExpr(form.value);
    case 'symbol':
      return describeExpr({ sym: form.name });
    case 'keyword':
      return describeExpr({ kw: form.name });
    case 'var':
      return describeExpr({ $: form.path });
    case 'nil':
      return describeExpr(null);
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

/** For values of unknown shape in JSON input. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return describeExpr(value);
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
