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

export function parseKey(text: string): KeyRef | undefined {
  // Most keys are plain (`x`, `target`): no scope prefix, no path. One scan tells.
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === COLON || c === SLASH) break;
    i++;
  }
  if (i === n) return n === 0 ? undefined : { text, scope: null, key: text, path: null };

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
