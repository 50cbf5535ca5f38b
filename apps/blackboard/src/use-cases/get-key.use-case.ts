import type { BbGetRequest, BlackboardEntry } from '@canopy/contracts';
import { Injectable } from '@nestjs/common';
import { BlackboardStore } from '../store/blackboard.store';
import { keyNotFound } from './blackboard.errors';

@Injectable()
export class GetKeyUseCase {
  constructor(private readonly store: BlackboardStore) {}

  async execute({ scope, key }: BbGetRequest): Promise<BlackboardEntry> {
    const entry = await this.store.get(scope, key);
    if (!entry) throw keyNotFound(scope, key);
    return entry;
  }
}
