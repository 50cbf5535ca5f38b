import { Subjects, type TreeRecord } from '@canopy/contracts';
import { type BehaviorTree, buildTree, type NodeJson, type TreeDocument } from '@canopy/engine';
import { Injectable } from '@nestjs/common';
import { ServiceClient } from '../nats/service-client';

/** Registered versions kept in memory; a version never changes once stored. */
const MAX_CACHED_RECORDS = 256;

/**
 * Registered trees as engine trees, for pictures and status overlays. Trees are built here from
 * their stored definition (never ticked, so actions are never resolved or called).
 */
@Injectable()
export class TreeModels {
  private readonly records = new Map<string, Promise<TreeRecord>>();

  constructor(private readonly services: ServiceClient) {}

  /** A registered tree; the latest version when `version` is left out. */
  async record(name: string, version?: number): Promise<TreeRecord> {
    if (version === undefined) {
      const latest = await this.services.call(Subjects.treesGet, { name });
      this.remember(`${latest.name}@${latest.version}`, Promise.resolve(latest));
      return latest;
    }
    const key = `${name}@${version}`;
    let record = this.records.get(key);
    if (!record) {
      record = this.services.call(Subjects.treesGet, { name, version });
      this.remember(key, record);
      record.catch(() => this.records.delete(key));
    }
    return record;
  }

  /**
   * The tree of a record, fresh (all IDLE). Subtrees naming other registered trees use their
   * latest versions, as a new execution would (an older execution may have pinned older ones).
   */
  async build(record: TreeRecord): Promise<BehaviorTree> {
    const document = record.definition as unknown as TreeDocument;
    return buildTree(document, { library: await this.library(document) });
  }

  private async library(document: TreeDocument): Promise<TreeDocument[]> {
    const found = new Map<string, TreeDocument>();
    const queue = externalSubtrees(document);
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (found.has(name)) continue;
      const doc = (await this.record(name)).definition as unknown as TreeDocument;
      found.set(name, doc);
      queue.push(...externalSubtrees(doc));
    }
    return [...found.values()];
  }

  private remember(key: string, record: Promise<TreeRecord>): void {
    this.records.delete(key);
    this.records.set(key, record);
    if (this.records.size > MAX_CACHED_RECORDS) {
      this.records.delete(this.records.keys().next().value as string);
    }
  }
}

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
