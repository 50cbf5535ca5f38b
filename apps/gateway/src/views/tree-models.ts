import { Subjects, type TreeRecord } from '@canopy/contracts';
import { type BehaviorTree, buildTree, type TreeDocument, type TreeLimits } from '@canopy/engine';
import { subtreeLibrary, treeLimitsOf } from '@canopy/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
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

  private readonly limits: TreeLimits;

  constructor(
    private readonly services: ServiceClient,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.limits = treeLimitsOf(config);
  }

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
      limits: this.limits,
      library: await subtreeLibrary(
        document,
        async (name) => (await this.record(name)).definition as unknown as TreeDocument,
      ),
    });
  }
}
