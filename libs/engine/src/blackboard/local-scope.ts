/**
 * A subtree's or for-each's scope. Engine state (part of the checkpoint), not a store scope:
 * the chain is fixed at build time because every node instance has exactly one place in the tree.
 */
export class LocalScope {
  readonly vars = new Map<string, unknown>();
  /** How writes to it are labelled in records. */
  readonly label: string;

  constructor(
    readonly ownerId: string,
    readonly parent: LocalScope | null,
  ) {
    this.label = `local:${ownerId}`;
  }
}

/** Checkpoint form of a scope's variables; undefined when empty. */
export function saveScope(scope: LocalScope): Record<string, unknown> | undefined {
  return scope.vars.size > 0 ? Object.fromEntries(scope.vars) : undefined;
}

export function loadScope(scope: LocalScope, saved: Record<string, unknown> | undefined): void {
  scope.vars.clear();
  if (saved) for (const [k, v] of Object.entries(saved)) if (v !== undefined) scope.vars.set(k, v);
}
