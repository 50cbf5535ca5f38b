import type { ErrorBody } from './errors';

/**
 * Default of JSON_MAX_DEPTH: room for a tree definition 200 nodes deep (a node and its `children`
 * array are two levels each) with its expressions, far below what `JSON.stringify` (recursive in
 * V8) overflows on, around a few thousand levels.
 */
export const JSON_MAX_DEPTH_DEFAULT = 512;

/**
 * Whether `value` nests objects and arrays deeper than `max` (a scalar is depth 0, `{}` and `[]`
 * depth 1). Iterative, and stops at the first path past `max`, so a hostile value can neither
 * overflow the stack nor cost more than one walk up to the limit per container.
 */
export function jsonTooDeep(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [object, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [object, number];
    if (depth > max) return true;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The NESTING_TOO_DEEP body of a value past the limit, over HTTP and in NATS replies. */
export function nestingTooDeep(max: number, what = 'JSON value'): ErrorBody {
  return {
    error: {
      code: 'NESTING_TOO_DEEP',
      message: `${what} is nested deeper than ${max} levels (JSON_MAX_DEPTH)`,
      details: { maxDepth: max },
    },
  };
}
