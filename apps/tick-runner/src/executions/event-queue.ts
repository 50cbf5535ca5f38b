import { EVENT_BATCH_MAX } from '@canopy/contracts';
import type { ExternalEvent } from '@canopy/engine';

/** An event as queued in Redis: its stream entry id and what the tree reads. */
export interface StoredEvent {
  id: string;
  event: ExternalEvent;
}

export interface LoadedEvents {
  /** The stream's last generated id: every entry up to it is queued or was taken already. */
  lastId: string;
  entries: StoredEvent[];
}

const NO_IDS: readonly string[] = [];

/**
 * The owner's mirror of an execution's queue of external events (RedisKeys.execEvents), oldest
 * first. A tick takes the oldest events (up to EVENT_BATCH_MAX) without removing them; its commit
 * deletes those entries in Redis and then `drop` removes them here, so a tick that is not
 * committed leaves them for the next one (here, or on the next owner, which loads the queue).
 */
export class EventQueue {
  private entries: StoredEvent[];
  private lastId: string;

  constructor(loaded: LoadedEvents = { lastId: '0-0', entries: [] }) {
    this.entries = loaded.entries;
    this.lastId = loaded.lastId;
  }

  get length(): number {
    return this.entries.length;
  }

  /**
   * An event the owner just stored. False when the mirror has it already (loaded after the append
   * landed in Redis, possibly taken by a tick since): ids only grow, so it is known by its id.
   */
  add(entry: StoredEvent): boolean {
    if (compareIds(entry.id, this.lastId) <= 0) return false;
    this.entries.push(entry);
    this.lastId = entry.id;
    return true;
  }

  /** How many events the next tick takes. */
  batchSize(): number {
    return Math.min(this.entries.length, EVENT_BATCH_MAX);
  }

  /** The oldest `n` events, for a tick; undefined when `n` is 0 (a tick without events allocates nothing). */
  events(n: number): ExternalEvent[] | undefined {
    if (n === 0) return undefined;
    const out = new Array<ExternalEvent>(n);
    for (let i = 0; i < n; i++) out[i] = this.entries[i].event;
    return out;
  }

  /** The stream ids of the oldest `n` events, which the tick's commit deletes. */
  ids(n: number): readonly string[] {
    if (n === 0) return NO_IDS;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.entries[i].id;
    return out;
  }

  /** After a commit deleted `ids` in Redis: they leave the mirror too. */
  drop(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    this.entries = this.entries.filter((e) => !gone.has(e.id));
  }
}

/** Orders stream ids (`<ms>-<seq>`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}
