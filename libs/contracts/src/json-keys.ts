import type { ErrorBody } from './errors';

/**
 * Where a parsed JSON value has a key that would reach an object's prototype once copied with
 * plain assignment (`__proto__`, or `prototype` inside `constructor`), as a path (`a.__proto__`);
 * undefined when it has none. Iterative; run it after the depth check, which bounds the walk.
 */
export function forbiddenJsonKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (key === '__proto__') return at;
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) {
        return `${at}.prototype`;
      }
      stack.push([child, at]);
    }
  }
  return undefined;
}

/** The FORBIDDEN_KEY body of a JSON value with such a key, over HTTP and in NATS replies. */
export function forbiddenKey(path: string, what = 'JSON value'): ErrorBody {
  return {
    error: {
      code: 'FORBIDDEN_KEY',
      message: `${what} has the key ${path}: keys named __proto__ (and constructor.prototype) are refused everywhere, since they would change an object's prototype`,
      details: { path },
    },
  };
}
