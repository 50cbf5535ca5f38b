import type { BbListRequest, BlackboardEntry } from '@canopy/contracts';
import { Injectable } from '@nestjs/common';
import { BlackboardStore } from '../store/blackboard.store';

@Injectable()
export class ListKeysUseCase {
  constructor(private readonly store: BlackboardStore) {}

  execute({ scope, prefix }: BbListRequest): Promise<BlackboardEntry[]> {
    return this.store.list(scope, prefix);
  }
}
