import type { NodeJson, TreeDocument } from '@canopy/engine';

/** Names of the trees a document's `(subtree "name")` nodes reference but do not define. */
export function externalSubtrees(document: TreeDocument): string[] {
  const defined = new Set(document.trees.map((t) => t.name));
  const found = new Set<string>();
  const walk = (node: NodeJson): void => {
    if (node.type === 'subtree') {
      const target = node.args?.[0];
      const name =
        typeof target === 'string'
          ? target
          : target && typeof target === 'object' && 'sym' in target
            ? target.sym
            : undefined;
      if (name && !defined.has(name)) found.add(name);
    }
    for (const child of node.children ?? []) walk(child);
  };
  for (const tree of document.trees) walk(tree.root);
  return [...found];
}

/**
 * The registered documents a document reaches through subtrees (transitively), each read once
 * with `latest` (one at a time, breadth first): the `library` to build the document with.
 */
export async function subtreeLibrary(
  document: TreeDocument,
  latest: (name: string) => Promise<TreeDocument>,
): Promise<TreeDocument[]> {
  const found = new Map<string, TreeDocument>();
  const queue = externalSubtrees(document);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (found.has(name)) continue;
    const doc = await latest(name);
    found.set(name, doc);
    queue.push(...externalSubtrees(doc));
  }
  return [...found.values()];
}
