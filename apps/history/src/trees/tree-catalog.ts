import { Subjects, type TreeRecord } from '@canopy/contracts';
import { buildTree, type NodeInfo, type TreeDocument, type TreeLimits } from '@canopy/engine';
import { subtreeLibrary } from '@canopy/service-kit';
import { TracedNats } from '@canopy/telemetry';
import { LRUCache } from 'lru-cache';
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
  private readonly cache = new LRUCache<string, Promise<TreeInfo | undefined>>({ max: MAX_CACHED });
  /** Lookups that failed lately; each is forgotten after RETRY_AFTER_MS. */
  private readonly failed = new LRUCache<string, true>({ max: MAX_CACHED, ttl: RETRY_AFTER_MS });

  constructor(
    private readonly nats: TracedNats,
    private readonly timeoutMs: number,
    /** The runners' TREE_MAX_* (default the engine's). */
    private readonly limits?: TreeLimits,
  ) {}

  /** The tree, if it can be read and is the one `fingerprint` was taken from. */
  async get(name: string, version: number, fingerprint: string): Promise<TreeInfo | undefined> {
    const key = `${name}@${version}`;
    if (this.failed.has(key)) return undefined;
    let info = this.cache.get(key);
    if (!info) {
      info = this.load(name, version).catch(() => undefined);
      this.cache.set(key, info);
    }
    const tree = await info;
    if (!tree) {
      this.cache.delete(key);
      this.failed.set(key, true);
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
    const library = await subtreeLibrary(
      doc,
      async (name) => (await this.fetch(name)).definition as unknown as TreeDocument,
    );
    const tree = buildTree(doc, { library, limits: this.limits });
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
