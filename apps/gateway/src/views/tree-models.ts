import { Subjects, type TreeRecord } from '@canopy/contracts';
import { type BehaviorTree, buildTree, type TreeDocument } from '@canopy/engine';
import { subtreeLibrary } from '@canopy/service-kit';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ServiceClient } from '../nats/service-client';

/** Registered versions kept in memory; a version never changes once stored. */
const MAX_CACHED_RECORDS = 256;

/**
 * Registered trees as engine trees, for pictures and status overlays. Trees are built here from
 * their stored definition (never ticked, so actions are never resolved or called).
 */
@Injectable()
export class TreeModels {
  private readonly records = new LRUCache<string, Promise<TreeRecord>>({ max: MAX_CACHED_RECORDS });

  constructor(private readonly services: ServiceClient) {}

  /** A registered tree; the latest version when `version` is left out. */
  async record(name: string, version?: number): Promise<TreeRecord> {
    if (version === undefined) {
      const latest = await this.services.call(Subjects.treesGet, { name });
      this.records.set(`${latest.name}@${latest.version}`, Promise.resolve(latest));
      return latest;
    }
    const key = `${name}@${version}`;
    let record = this.records.get(key);
    if (!record) {
      record = this.services.call(Subjects.treesGet, { name, version });
      this.records.set(key, record);
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
    return buildTree(document, {
      library: await subtreeLibrary(
        document,
        async (name) => (await this.record(name)).definition as unknown as TreeDocument,
      ),
    });
  }
}
