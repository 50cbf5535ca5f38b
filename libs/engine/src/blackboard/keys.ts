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

export function parseKey(text: string): KeyRef | undefined {
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
