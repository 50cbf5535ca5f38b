import type { BlackboardStats, ExecutionStats, NodeStatsReply, Progress } from '@canopy/contracts';
import { toProgress } from '../state/progress';
import { blackboardStats, executionStats, nodeStats } from '../state/stats';
import type { HistoryMeta, HistoryStore } from '../store/history.store';
import type { TreeCatalog } from '../trees/tree-catalog';
import { noHistory } from './history.errors';

/** Aggregates over the retained ticks of an execution, and its progress. */
export class StatsQueries {
  constructor(
    private readonly store: HistoryStore,
    private readonly catalog: TreeCatalog,
  ) {}

  async stats(id: string): Promise<ExecutionStats> {
    const meta = await this.meta(id);
    return executionStats(id, await this.store.summaries(id), meta.total);
  }

  async nodes(id: string): Promise<NodeStatsReply> {
    const meta = await this.meta(id);
    const [summaries, deltas, tree] = await Promise.all([
      this.store.summaries(id),
      this.store.deltas(id),
      this.catalog.get(meta.tree, meta.version, meta.fingerprint),
    ]);
    return nodeStats(id, summaries, deltas, tree?.nodes);
  }

  async blackboard(id: string): Promise<BlackboardStats> {
    await this.meta(id);
    const [summaries, deltas] = await Promise.all([
      this.store.summaries(id),
      this.store.deltas(id),
    ]);
    return blackboardStats(id, summaries, deltas);
  }

  async progress(id: string): Promise<Progress> {
    const state = await this.store.progress(id);
    if (!state) throw noHistory(id);
    return toProgress(id, state);
  }

  private async meta(id: string): Promise<HistoryMeta> {
    const meta = await this.store.meta(id);
    if (!meta) throw noHistory(id);
    return meta;
  }
}
