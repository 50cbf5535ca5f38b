import { statusesFrom, applyDelta, type Frame } from '../state/frame';
import type { TickRecordMessage } from '@canopy/contracts';
import { HistoryStore } from './history.store';

export interface RebuiltTick {
  frame: Frame;
  keyframeTick: number;
  record?: TickRecordMessage;
}

/** Rebuilds the state at a stored tick: its keyframe, then every delta up to it. */
export class FrameReader {
  constructor(private readonly store: HistoryStore) {}

  /** Undefined when the tick is not stored. Statuses come from the tick's checkpoint. */
  async rebuild(execId: string, tick: number): Promise<RebuiltTick | undefined> {
    const parts = await this.store.frameParts(execId, tick, true);
    if (!parts) return undefined;
    const frame = parts.keyframe;
    const keyframeTick = frame.tick;
    for (const { tick: t, delta } of parts.deltas) applyDelta(frame, t, delta);
    frame.tick = tick;
    if (parts.record) {
      frame.statuses = statusesFrom(parts.record.checkpoint, Object.keys(frame.statuses));
    }
    return { frame, keyframeTick, record: parts.record };
  }

  async frame(execId: string, tick: number): Promise<Frame | undefined> {
    return (await this.rebuild(execId, tick))?.frame;
  }
}
