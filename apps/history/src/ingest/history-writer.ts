import type { TickRecordMessage } from '@canopy/contracts';
import { LRUCache } from 'lru-cache';
import {
  applyDelta,
  cloneFrame,
  deltaOf,
  emptyFrame,
  type Frame,
  scopedKey,
  setValue,
} from '../state/frame';
import { nextProgress, type ProgressState } from '../state/progress';
import { summaryOf } from '../state/stats';
import type { FrameReader } from '../store/frame-reader';
import type { AppendResult, HistoryStore } from '../store/history.store';
import type { TreeCatalog } from '../trees/tree-catalog';
import { KeyedSerializer } from './keyed-serializer';

export interface WriterOptions {
  keyframeEvery: number;
  retainTicks: number;
  retainMs: number;
  cachedExecutions: number;
  now?: () => number;
  /** After a tick's progress was stored (in stream order per execution); must not throw. */
  onProgress?: (execId: string, progress: ProgressState) => void;
  /** After an execution's history was deleted. */
  onDelete?: (execId: string) => void;
}

/** The latest stored state of an execution, kept so the next tick needs no read from Redis. */
interface Head {
  frame: Frame;
  /** Keys the execution wrote -> the first tick history saw write them. */
  known: Map<string, number>;
  progress?: ProgressState;
  /** The incarnation (execution `createdAt`) the stored ticks belong to. */
  createdAt?: string;
}

export type IngestOutcome = 'stored' | 'duplicate';

/**
 * Writes execution histories: each tick record once (the append script ignores a tick already
 * stored), a keyframe every K ticks and deltas between, progress, and retention. Everything that
 * writes one execution's history runs serialized per execution.
 *
 * The blackboard before an execution's first write of a key is not in any record: the first write
 * history sees carries the key's `old` value, which is then backfilled into the stored states
 * before it (see docs/history.md, "The initial blackboard").
 */
export class HistoryWriter {
  private readonly heads: LRUCache<string, Head>;
  private readonly serial = new KeyedSerializer();
  private readonly now: () => number;

  constructor(
    private readonly store: HistoryStore,
    private readonly reader: FrameReader,
    private readonly catalog: TreeCatalog,
    private readonly options: WriterOptions,
  ) {
    this.heads = new LRUCache({ max: options.cachedExecutions });
    this.now = options.now ?? Date.now;
  }

  ingest(record: TickRecordMessage): Promise<IngestOutcome> {
    return this.serial.run(record.execId, async () => {
      try {
        return await this.ingestNow(record);
      } catch (error) {
        // The cached state may be ahead of what was stored: read it again next time.
        this.heads.delete(record.execId);
        throw error;
      }
    });
  }

  /** Replies how many ticks were removed. */
  delete(execId: string): Promise<number> {
    return this.serial.run(execId, async () => {
      this.heads.delete(execId);
      const removed = await this.store.delete(execId);
      this.options.onDelete?.(execId);
      return removed;
    });
  }

  /** Applies both retention limits now (the sweeper calls this for executions that went quiet). */
  enforceRetention(execId: string): Promise<void> {
    return this.serial.run(execId, () => this.retain(execId, undefined));
  }

  private async ingestNow(record: TickRecordMessage): Promise<IngestOutcome> {
    const id = record.execId;
    const { tick } = record;
    let head = await this.head(id);
    if (head?.createdAt && record.createdAt && head.createdAt !== record.createdAt) {
      // Another incarnation of this id (deleted, then created again): a record of the older one
      // arriving late is dropped; the first record of a newer one replaces the old history.
      if (Date.parse(record.createdAt) < Date.parse(head.createdAt)) return 'duplicate';
      this.heads.delete(id);
      await this.store.delete(id);
      this.options.onDelete?.(id);
      head = undefined;
    }
    const lastTick = head?.frame.tick ?? 0;
    if (tick <= lastTick && (await this.store.hasTick(id, tick))) return 'duplicate';
    const late = tick < lastTick;

    // The state after the previous tick. Without it (first record, a gap, a late record whose
    // predecessor is gone) this tick gets a keyframe of its own.
    let prev: Frame;
    let forced = false;
    if (head && lastTick === tick - 1) {
      prev = head.frame;
    } else if (!late) {
      prev = head?.frame ?? emptyFrame(tick - 1);
      forced = true;
    } else {
      const before = await this.reader.frame(id, tick - 1);
      prev = before ?? emptyFrame(tick - 1);
      forced = before === undefined;
    }

    // The first tick's record carries the blackboard the execution was created with: every state
    // from then on has it, until a tick writes a key (which the writes below and deltas apply).
    for (const [key, value] of Object.entries(record.initialBlackboard ?? {})) {
      setValue(prev.blackboard, 'exec', key, value);
    }
    const known = head?.known ?? new Map<string, number>();
    const newKeys: [string, number][] = [];
    const backfilled = new Map<number, Frame>();
    let earlier: Frame[] | undefined;
    for (const write of record.writes) {
      const field = scopedKey(write.scope, write.key);
      const first = known.get(field);
      if (first !== undefined && first <= tick) continue;
      known.set(field, tick);
      newKeys.push([field, tick]);
      if (!('old' in write)) continue;
      // The key's value before its first write: every stored state before this tick had it.
      setValue(prev.blackboard, write.scope, write.key, write.old);
      earlier ??= await this.store.keyframesBefore(id, tick);
      for (const keyframe of earlier) {
        setValue(keyframe.blackboard, write.scope, write.key, write.old);
        backfilled.set(keyframe.tick, keyframe);
      }
    }

    const frame = applyDelta(prev, tick, deltaOf(record), record.checkpoint);
    const keyframe = forced || tick % this.options.keyframeEvery === 0 ? frame : undefined;
    let progress: ProgressState | undefined;
    if (!late) {
      const shape = await this.catalog.shape(
        record.tree,
        record.version,
        record.checkpoint.fingerprint,
      );
      progress = nextProgress(head?.progress, record, shape);
    }
    const result = await this.store.append(id, {
      record,
      summary: summaryOf(record),
      delta: deltaOf(record),
      keyframe,
      progress,
      backfilled: [...backfilled.values()],
      newKeys,
    });
    if (!result.stored) {
      this.heads.delete(id);
      return 'duplicate';
    }
    if (late) {
      await this.rebuildKeyframesAfter(id, tick);
      this.heads.delete(id);
    } else {
      this.heads.set(id, { frame, known, progress, createdAt: record.createdAt ?? head?.createdAt });
      if (progress) this.options.onProgress?.(id, progress);
    }
    await this.retain(id, result);
    return 'stored';
  }

  private async head(id: string): Promise<Head | undefined> {
    const cached = this.heads.get(id);
    if (cached) return cached;
    const meta = await this.store.meta(id);
    if (!meta) return undefined;
    const frame = await this.reader.frame(id, meta.lastTick);
    if (!frame) return undefined;
    const [known, progress] = await Promise.all([
      this.store.knownKeys(id),
      this.store.progress(id),
    ]);
    const head: Head = { frame, known, progress, createdAt: meta.createdAt };
    this.heads.set(id, head);
    return head;
  }

  /** A record arrived after later ones: the keyframes after it must include its changes. */
  private async rebuildKeyframesAfter(id: string, tick: number): Promise<void> {
    const keyframeTicks = new Set(await this.store.keyframeTicksAfter(id, tick));
    if (keyframeTicks.size === 0) return;
    const frame = await this.reader.frame(id, tick);
    if (!frame) return;
    const rebuilt: Frame[] = [];
    for (const { tick: t, delta } of await this.store.deltasBetween(
      id,
      tick,
      Math.max(...keyframeTicks),
    )) {
      applyDelta(frame, t, delta);
      if (keyframeTicks.has(t)) rebuilt.push(cloneFrame(frame));
    }
    await this.store.putKeyframes(id, rebuilt);
  }

  /**
   * Drops the oldest ticks beyond HISTORY_RETAIN_TICKS and those older than HISTORY_RETAIN_MS.
   * The first tick kept becomes a keyframe (promoted) if it is not one, so it stays rebuildable.
   */
  private async retain(id: string, appended: AppendResult | undefined): Promise<void> {
    const { retainTicks, retainMs } = this.options;
    const count = appended?.stored ? appended.count : await this.store.retainedCount(id);
    if (count === 0) return;
    const oldest = appended?.stored
      ? appended.oldestStartedAt
      : await this.store.oldestStartedAt(id);
    let first: number | undefined;
    if (count > retainTicks) first = await this.store.tickAtRank(id, count - retainTicks);
    const cutoff = this.now() - retainMs;
    if (oldest !== undefined && oldest < cutoff) {
      const since = await this.store.firstTickSince(id, cutoff);
      if (since === undefined) {
        this.heads.delete(id);
        await this.store.delete(id);
        return;
      }
      first = Math.max(first ?? 0, since);
    }
    if (first === undefined) return;
    const head = this.heads.get(id);
    const keyframe = head?.frame.tick === first ? head.frame : await this.reader.frame(id, first);
    await this.store.trim(id, first, keyframe);
  }
}
