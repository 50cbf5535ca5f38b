import { SCOPE_PREFIXES } from '../model/catalog';
import type { StoreScope } from '../model/runtime';

/** A parsed blackboard key: `team:robot/pose/x` is scope team, key `robot`, path `pose.x`. */
export interface KeyRef {
  readonly text: string;
  /** Forced by a prefix; null means "nearest scope that has the key". */
  readonly scope: StoreScope | null;
  readonly key: string;
  /** Nested fields below the top-level key; null for a plain key. */
  readonly path: readonly string[] | null;
}

const COLON = 58;
const SLASH = 47;

/** Control characters (C0, DEL, C1): unreadable in logs and terminals, and never typed in a tree. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Segments that are names in no object: `__proto__` cannot be an own key of a plain object
 * without care everywhere (JSON bodies, spreads, assignments), and `.`/`..` read like file paths.
 */
const RESERVED_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', '.', '..']);

/**
 * Why a blackboard key is one no tree could address, or undefined when it is fine. One rule for
 * trees (`parseKey`), the REST and NATS blackboard, initial blackboards and `canopy run --set`:
 * segments split by `/` are non-empty and none is `__proto__`, `.` or `..`; no control characters.
 * With `prefixed: false` (a key inside a named scope) a scope prefix (`global:`...) is refused too.
 */
export function keyProblem(text: string, prefixed = true): string | undefined {
  if (text.length === 0) return 'is empty';
  if (CONTROL.test(text)) return 'contains a control character';
  let rest = text;
  const colon = text.indexOf(':');
  if (colon > 0 && (SCOPE_PREFIXES as readonly string[]).includes(text.slice(0, colon))) {
    if (!prefixed) return `starts with the scope prefix "${text.slice(0, colon + 1)}"`;
    rest = text.slice(colon + 1);
  }
  for (const segment of rest.split('/')) {
    if (segment === '') return 'has an empty segment (leading, trailing or double /)';
    if (RESERVED_SEGMENTS.has(segment)) return `has the reserved segment "${segment}"`;
  }
  return undefined;
}

export function parseKey(text: string): KeyRef | undefined {
  // Most keys are plain (`x`, `target`): no scope prefix, no path. One scan tells.
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === COLON || c === SLASH) break;
    i++;
  }
  if (i === n) {
    if (n === 0 || RESERVED_SEGMENTS.has(text) || CONTROL.test(text)) return undefined;
    return { text, scope: null, key: text, path: null };
  }
  if (keyProblem(text) !== undefined) return undefined;

  let scope: StoreScope | null = null;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon > 0) {
    const prefix = text.slice(0, colon);
    if ((SCOPE_PREFIXES as readonly string[]).includes(prefix)) {
      scope = prefix as StoreScope;
      rest = text.slice(colon + 1);
    }
  }
  const parts = rest.split('/');
  if (parts.some((p) => p === '')) return undefined;
  return { text, scope, key: parts[0], path: parts.length > 1 ? parts.slice(1) : null };
}
