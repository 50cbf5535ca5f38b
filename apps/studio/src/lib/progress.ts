// Progress per execution: pushed `execution_progress` events (GET /ws) when they come, else
// polled from GET /executions/:id/progress. Pure bookkeeping here, the hook does the I/O.
import type { Execution, Progress, StreamEvent } from '../api/types';

export const POLL_MS = 2000;

export interface ProgressEntry {
  progress: Progress;
  /** When it was last pushed (ms, page clock); undefined when it came from polling. */
  pushedAt?: number;
}

/**
 * An execution's pushed progress: an `execution_progress` event (history publishes it) with
 * `{percent, step, elapsedMs, etaMs, status}`. A tree's own `(progress ...)` node event is
 * `progress`, a node's mark: not the execution's progress, so it is not taken; nor is an
 * `execution_progress` whose percent is unknown (null).
 */
export function progressFromEvent(e: StreamEvent): Progress | undefined {
  if (e.type !== 'execution_progress' || typeof e.data.percent !== 'number' || typeof e.data.elapsedMs !== 'number') return undefined;
  // The event's data is the progress route's answer (docs/streams.md).
  const d = e.data as Omit<Progress, 'execId' | 'tick'>;
  return {
    execId: e.execId,
    tick: e.tick,
    percent: d.percent,
    step: typeof d.step === 'string' ? d.step : null,
    elapsedMs: d.elapsedMs,
    etaMs: typeof d.etaMs === 'number' ? d.etaMs : null,
    status: d.status,
    source: d.source,
  };
}

/** Executions to poll now: ticked ones whose progress was not pushed within the last poll period. */
export function needsPoll(executions: readonly Execution[], entries: ReadonlyMap<string, ProgressEntry>, now: number): string[] {
  return executions
    .filter((x) => x.tick > 0)
    .filter((x) => {
      const entry = entries.get(x.id);
      if (entry?.pushedAt !== undefined && now - entry.pushedAt < POLL_MS * 1.5) return false;
      // Finished executions do not move: one answer is enough.
      if (entry && (x.state === 'stopped' || x.state === 'completed') && entry.progress.tick === x.tick) return false;
      return true;
    })
    .map((x) => x.id);
}
