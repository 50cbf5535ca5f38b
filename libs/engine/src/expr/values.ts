/**
 * The value model of expressions: JSON values, with `null` as nil. Clojure-like truthiness so
 * `(condition $x)` reads naturally: only nil and false are falsy.
 */

export function truthy(v: unknown): boolean {
  return v !== null && v !== false && v !== undefined;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of ka) if (!Object.hasOwn(rb, k) || !deepEqual(ra[k], rb[k])) return false;
  return true;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'map' : typeof v;
}

/** How `str` shows a value: strings bare, nil empty (as in Clojure), collections in DSL syntax. */
export function display(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return literal(v);
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(' ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v).map(([k, x]) => `:${k} ${literal(x)}`);
    return `{${parts.join(' ')}}`;
  }
  return String(v);
}
