import type { BbPutRequest, BlackboardEntry } from '@canopy/contracts';
import { Injectable } from '@nestjs/common';
import { BlackboardStore } from '../store/blackboard.store';
import { versionConflict } from './blackboard.errors';
import { ChangePublisher, REST_SOURCE } from './change-publisher';

@Injectable()
export class PutKeyUseCase {
  constructor(
    private readonly store: BlackboardStore,
    private readonly changes: ChangePublisher,
  ) {}

  async execute({ scope, key, value, expectedVersion }: BbPutRequest): Promise<BlackboardEntry> {
    const result = await this.store.put(scope, key, value, expectedVersion);
    if (!result.ok) throw versionConflict(scope, key, expectedVersion ?? 0, result.currentVersion);
    // Published after the write is durable in Redis; the version lets subscribers drop stale or
    // reordered events (two replicas may publish changes of one key out of order).
    await this.changes.publish({
      scope,
      key,
      value,
      version: result.version,
      source: REST_SOURCE,
      at: new Date().toISOString(),
    });
    return { scope, key, value, version: result.version };
  }
}
