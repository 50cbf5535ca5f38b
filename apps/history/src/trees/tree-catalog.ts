import { Subjects, type TreeRecord } from '@canopy/contracts';
import { buildTree, type NodeInfo, type NodeJson, type TreeDocument } from '@canopy/engine';
import { TracedNats } from '@canopy/telemetry';
import type { TreeShape } from '../state/progress';

/** What history knows of a tree: its nodes, depth-first, as the engine builds them. */
export interface TreeInfo {
  fingerprint: string;
  nodes: readonly NodeInfo[];
}

/** A failed lookup is not retried for this long (no runner up, tree gone). */
const RETRY_AFTER_MS = 5000;
const MAX_CACHED = 256;

/**
 * Trees by name and version, read from the runners' registry (`canopy.svc.trees.get`) and built
 * with the engine, so history can list every node (also those never ticked) and read progress
 * off the root. Versions never change, so a tree is cached once built. Subtrees from other
 * registered documents are resolved to their latest version; the result is used only when its
 * fingerprint equals the checkpoint's, so a subtree registered again since cannot mislead.
 */
export class TreeCatalog {
  private readonly cache = new Map<string, Promise<TreeInfo | undefined>>();
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly nats: TracedNats,
    private readonly timeoutMs: number,
  ) {}

  /** The tree, if it can be read and is the one `fingerprint` was taken from. */
  async get(name: string, version: number, fingerprint: string): Promise<TreeInfo | undefined> {
    const key = `${name}@${version}`;
    const failed = this.failedAt.get(key);
    if (failed !== undefined && Date.now() - failed < RETRY_AFTER_MS) return undefined;
    let info = this.cache.get(key);
    if (!info) {
      info = this.load(name, version).catch(() => undefined);
      this.cache.set(key, info);
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    }
    const tree = await info;
    if (!tree) {
      this.cache.delete(key);
      this.failedAt.set(key, Date.now());
      return undefined;
    }
    return tree.fingerprint === fingerprint ? tree : undefined;
  }

  async shape(name: string, version: number, fingerprint: string): Promise<TreeShape | undefined> {
    const tree = await this.get(name, version, fingerprint);
    const root = tree?.nodes[0];
    if (!tree || !root) return undefined;
    const byId = new Map(tree.nodes.map((n) => [n.id, n]));
    return {
      rootType: root.type,
      children: root.childIds.map((id) => ({ id, label: byId.get(id)?.name ?? id })),
    };
  }

  private async load(name: string, version: number): Promise<TreeInfo> {
    const record = await this.fetch(name, version);
    const doc = record.definition as unknown as TreeDocument;
    const library: TreeDocument[] = [];
    const seen = new Set<string>();
    const queue = externalSubtrees(doc);
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      const sub = (await this.fetch(next)).definition as unknown as TreeDocument;
      library.push(sub);
      queue.push(...externalSubtrees(sub));
    }
    const tree = buildTree(doc, { library });
    return { fingerprint: tree.fingerprint, nodes: tree.nodes };
  }

  private fetch(name: string, version?: number): Promise<TreeRecord> {
    return this.nats.request<TreeRecord>(
      Subjects.treesGet,
      version === undefined ? { name } : { name, version },
      { timeoutMs: this.timeoutMs },
    );
  }
}

/** Names of trees a document's `(subtree "name")` nodes reference but do not define. */
function externalSubtrees(doc: TreeDocument): string[] {
  const defined = new Set(doc.trees.map((t) => t.name));
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
  for (const tree of doc.trees) walk(tree.root);
  return [...found];
}
