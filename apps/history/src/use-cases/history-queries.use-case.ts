import type {
  HistoryListRequest,
  TickDiff,
  TickState,
  TickSummary,
  TimelineEntry,
} from '@canopy/contracts';
import { diffStates } from '../state/diff';
import { statusesFrom } from '../state/frame';
import { timelineOf } from '../state/stats';
import type { FrameReader } from '../store/frame-reader';
import type { HistoryStore } from '../store/history.store';
import type { TreeCatalog } from '../trees/tree-catalog';
import { tickNotFound } from './history.errors';

type Range = Pick<HistoryListRequest, 'id' | 'from' | 'to' | 'limit'>;

/** Reads of one execution's history: summaries, the full state at a tick, diffs, the timeline. */
export class HistoryQueries {
  constructor(
    private readonly store: HistoryStore,
    private readonly reader: FrameReader,
    private readonly catalog: TreeCatalog,
  ) {}

  list({ id, from, to, limit }: Range): Promise<TickSummary[]> {
    return this.store.summaries(id, from, to, limit);
  }

  async timeline(range: Range): Promise<TimelineEntry[]> {
    return timelineOf(await this.list(range));
  }

  /** Every node's status, the blackboard, the checkpoint and the record, after `tick`. */
  async state(id: string, tick: number): Promise<TickState> {
    const rebuilt = await this.reader.rebuild(id, tick);
    if (!rebuilt?.record) throw await this.notFound(id, tick);
    const { frame, record, keyframeTick } = rebuilt;
    const tree = await this.catalog.get(record.tree, record.version, record.checkpoint.fingerprint);
    const ids = [...(tree?.nodes.map((n) => n.id) ?? []), ...Object.keys(frame.statuses)];
    return {
      execId: id,
      tick,
      tree: record.tree,
      version: record.version,
      status: record.status,
      statuses: statusesFrom(record.checkpoint, ids),
      blackboard: frame.blackboard,
      checkpoint: record.checkpoint,
      record: record as unknown as Record<string, unknown>,
      keyframeTick,
    };
  }

  /** Node statuses and blackboard values that differ between the states after `from` and `to`. */
  async diff(id: string, from: number, to: number): Promise<TickDiff> {
    const [a, b] = await Promise.all([this.state(id, from), this.state(id, to)]);
    return { execId: id, from, to, ...diffStates(a, b) };
  }

  private async notFound(id: string, tick: number): Promise<Error> {
    const meta = await this.store.meta(id);
    return tickNotFound(id, tick, meta ? [meta.firstTick, meta.lastTick] : undefined);
  }
}
