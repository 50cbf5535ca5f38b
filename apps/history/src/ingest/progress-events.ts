import { type EventEnvelope, type Progress, Subjects } from '@canopy/contracts';
import type { TracedNats } from '@canopy/telemetry';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';

/** What an execution's last `execution_progress` event said, and when it went out. */
interface Sent {
  percent: number | null;
  step: string | null;
  status: Progress['status'];
  at: number;
}

export interface ProgressEventOptions {
  /** Elapsed and ETA move every tick: between real changes, at most one event this often. */
  minIntervalMs: number;
  cachedExecutions: number;
  now?: () => number;
}

/**
 * Decides which stored progress becomes an `execution_progress` event, so live views move
 * without polling: every change of percent, step or status at once, and otherwise (only elapsed
 * and ETA moved) at most one per `minIntervalMs`. An execution forgotten by the LRU simply gets
 * its next progress published.
 */
export class ProgressEvents {
  private readonly sent: LRUCache<string, Sent>;
  private readonly now: () => number;

  constructor(
    private readonly publish: (execId: string, event: EventEnvelope<'execution_progress'>) => void,
    private readonly options: ProgressEventOptions,
  ) {
    this.sent = new LRUCache({ max: options.cachedExecutions });
    this.now = options.now ?? Date.now;
  }

  /** After `progress` (of tick `progress.tick`) was stored. */
  stored(execId: string, progress: Omit<Progress, 'execId'>): void {
    const now = this.now();
    const last = this.sent.get(execId);
    const changed =
      !last ||
      last.percent !== progress.percent ||
      last.step !== progress.step ||
      last.status !== progress.status;
    if (!changed && now - last.at < this.options.minIntervalMs) return;
    this.sent.set(execId, {
      percent: progress.percent,
      step: progress.step,
      status: progress.status,
      at: now,
    });
    const { tick, percent, step, elapsedMs, etaMs, status, source } = progress;
    this.publish(execId, {
      execId,
      type: 'execution_progress',
      tick,
      // Outside the runner's per-tick order: like the gateway's own messages.
      seq: -1,
      at: new Date(now).toISOString(),
      data: { percent, step, elapsedMs, etaMs, status, source },
    });
  }

  /** The execution was deleted: a new one of the same id starts from nothing. */
  forget(execId: string): void {
    this.sent.delete(execId);
  }
}

/**
 * Events on `canopy.events.<id>.execution_progress` (core NATS; CANOPY_EVENTS keeps them too).
 * Best effort: a publish that fails (NATS away) is not retried, as the stored progress stays
 * readable (`GET .../progress`) and the next change publishes again.
 */
export function natsProgressEvents(
  nats: TracedNats,
  options: ProgressEventOptions,
  logger: Logger,
): ProgressEvents {
  return new ProgressEvents((execId, event) => {
    try {
      nats.publish(Subjects.event(execId, event.type), event, {
        pattern: Subjects.executionProgressAll,
      });
    } catch (error) {
      logger.debug({ err: error, execId }, 'execution_progress not published');
    }
  }, options);
}
