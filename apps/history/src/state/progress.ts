import type { Progress, TickRecordMessage } from '@canopy/contracts';
import { statusesFrom } from './frame';

/** The root of a tree and its children, enough to read progress off a root sequence. */
export interface TreeShape {
  rootType: string;
  /** In order; `label` is the child's `:name`, else its id. */
  children: { id: string; label: string }[];
}

/** What history keeps per execution (Redis `historyProgress`): the answer plus the run it is for. */
export interface ProgressState extends Omit<Progress, 'execId'> {
  /** The tick and clock time the current run of the tree started at. */
  runStartTick: number;
  runStartedAt: number;
  /** Once a `(progress ...)` mark was seen, marks alone decide. */
  usesMarks: boolean;
}

const SEQUENCES: ReadonlySet<string> = new Set([
  'sequence',
  'memory-sequence',
  'reactive-sequence',
]);

/**
 * Progress after `record`, from the state after the previous tick.
 *
 * - A run starts at the first tick, and after a tick whose root finished (the tree restarts).
 * - Percent: the last `(progress "step" P)` mark of the run; an execution that never marked
 *   falls back to its root sequence: the children before the first RUNNING or FAILURE one are
 *   done (lazy restart leaves stale statuses after it, never before it). SUCCESS is 100.
 * - ETA: the run's observed rate, percent per ms of clock time since it started, extrapolated
 *   to 100: `(100 - percent) / (percent / elapsedMs)`. Unknown (null) at 0 percent and after a
 *   FAILURE; 0 after SUCCESS.
 */
export function nextProgress(
  prev: ProgressState | undefined,
  record: TickRecordMessage,
  shape: TreeShape | undefined,
): ProgressState {
  const newRun = !prev || prev.status === 'SUCCESS' || prev.status === 'FAILURE';
  const usesMarks = (prev?.usesMarks ?? false) || record.progress.length > 0;
  let step = newRun ? null : (prev?.step ?? null);
  let percent: number | null = newRun ? (usesMarks ? 0 : null) : (prev?.percent ?? null);
  let source: Progress['source'] = usesMarks ? 'marks' : 'none';

  const mark = record.progress.at(-1);
  if (mark) {
    step = mark.step;
    percent = Math.min(100, Math.max(0, mark.percent));
  } else if (!usesMarks && shape && SEQUENCES.has(shape.rootType)) {
    const { children } = shape;
    const statuses = statusesFrom(
      record.checkpoint,
      children.map((c) => c.id),
    );
    let done = children.findIndex(
      (c) => statuses[c.id] === 'RUNNING' || statuses[c.id] === 'FAILURE',
    );
    if (done < 0) done = children.length;
    percent = children.length === 0 ? 100 : (100 * done) / children.length;
    step = done < children.length ? children[done].label : null;
    source = 'sequence';
  }
  if (record.status === 'SUCCESS') percent = 100;

  const runStartTick = newRun ? record.tick : (prev?.runStartTick ?? record.tick);
  const runStartedAt = newRun ? record.startedAt : (prev?.runStartedAt ?? record.startedAt);
  const elapsedMs = Math.max(0, record.startedAt + record.durationMs - runStartedAt);
  return {
    tick: record.tick,
    step,
    percent,
    elapsedMs,
    etaMs: etaOf(record.status, percent, elapsedMs),
    status: record.status,
    source,
    runStartTick,
    runStartedAt,
    usesMarks,
  };
}

function etaOf(
  status: Progress['status'],
  percent: number | null,
  elapsedMs: number,
): number | null {
  if (status === 'SUCCESS') return 0;
  if (status === 'FAILURE' || percent === null || percent <= 0 || elapsedMs <= 0) return null;
  return Math.round(((100 - percent) * elapsedMs) / percent);
}

/** The public answer. */
export function toProgress(execId: string, state: ProgressState): Progress {
  const { runStartTick: _tick, runStartedAt: _at, usesMarks: _marks, ...answer } = state;
  return { execId, ...answer };
}
