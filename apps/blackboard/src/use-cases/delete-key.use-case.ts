import type { BbDeleteRequest } from '@canopy/contracts';
import { Injectable } from '@nestjs/common';
import { BlackboardStore } from '../store/blackboard.store';
import { keyNotFound, versionConflict } from './blackboard.errors';
import { ChangePublisher, REST_SOURCE } from './change-publisher';

@Injectable()
export class DeleteKeyUseCase {
  constructor(
    private readonly store: BlackboardStore,
    private readonly changes: ChangePublisher,
  ) {}

  async execute({
    scope,
    key,
    expectedVersion,
  }: BbDeleteRequest): Promise<{ deleted: true; version: number }> {
    const result = await this.store.delete(scope, key, expectedVersion);
    if (!result.ok) {
      if (result.reason === 'absent') throw keyNotFound(scope, key);
      throw versionConflict(scope, key, expectedVersion ?? 0, result.currentVersion);
    }
    await this.changes.publish({
      scope,
      key,
      version: result.version,
      deleted: true,
      source: REST_SOURCE,
      at: new Date().toISOString(),
    });
    return { deleted: true, version: result.version };
  }
}
