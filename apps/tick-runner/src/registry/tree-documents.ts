import type { TreeDocument } from '@canopy/engine';
import { AppError, externalSubtrees } from '@canopy/service-kit';
import type { TreeStore } from './tree-store';

/**
 * Registered tree documents by name and version. Versions never change once stored, so they are
 * cached for the life of the runner.
 */
export class TreeDocuments {
  private readonly cache = new Map<string, Promise<TreeDocument>>();

  constructor(private readonly store: TreeStore) {}

  get(name: string, version: number): Promise<TreeDocument> {
    const key = `${name}@${version}`;
    let doc = this.cache.get(key);
    if (!doc) {
      doc = this.store.get(name, version).then((record) => {
        if (!record) throw new AppError('TREE_NOT_FOUND', `no version ${version} of tree "${name}"`);
        return record.definition as unknown as TreeDocument;
      });
      doc.catch(() => this.cache.delete(key));
      this.cache.set(key, doc);
    }
    return doc;
  }

  /**
   * Pins every registered tree the document reaches through subtrees (transitively) to its latest
   * version, so an execution keeps running the trees it was created with.
   */
  async resolveLibrary(doc: TreeDocument): Promise<Record<string, number>> {
    const pins: Record<string, number> = {};
    const queue = externalSubtrees(doc);
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (name in pins) continue;
      const record = await this.store.get(name);
      if (!record) throw new AppError('TREE_NOT_FOUND', `subtree "${name}" is not a registered tree`);
      pins[name] = record.version;
      queue.push(...externalSubtrees(record.definition as unknown as TreeDocument));
    }
    return pins;
  }

  library(pins: Record<string, number>): Promise<TreeDocument[]> {
    return Promise.all(Object.entries(pins).map(([name, version]) => this.get(name, version)));
  }
}
