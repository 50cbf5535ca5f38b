import type { BbListPage, BbListRequest } from '@canopy/contracts';
import { Injectable } from '@nestjs/common';
import { BlackboardStore } from '../store/blackboard.store';

@Injectable()
export class ListKeysUseCase {
  constructor(private readonly store: BlackboardStore) {}

  execute({ scope, prefix, after }: BbListRequest): Promise<BbListPage> {
    return this.store.list(scope, prefix, after);
  }
}
