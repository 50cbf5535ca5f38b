import type { BlackboardState, TickRecordMessage } from '@canopy/contracts';
import type { Checkpoint, NodeChange, NodeVisit, Status, WriteRecord } from '@canopy/engine';

/**
 * The state after a tick, as history rebuilds it: node statuses and the blackboard by record
 * scope (`exec`, `team`, `global`, `local:<nodeId>`). A keyframe is a stored Frame.
 *
 * `statuses` holds every node history has seen (status changes and checkpoints); a node that
 * never left IDLE is only known from the tree itself (see TreeCatalog).
 */
export interface Frame {
  tick: number;
  statuses: Record<string, Status>;
  blackboard: BlackboardState;
}

/** What a tick changed: the part of a record a rebuild applies. Empty parts are left out. */
export interface Delta {
  nodes?: NodeChange[];
  writes?: WriteRecord[];
  visits?: NodeVisit[];
}

const STATUSES: ReadonlySet<string> = new Set(['IDLE', 'RUNNING', 'SUCCESS', 'FAILURE']);

export function emptyFrame(tick: number): Frame {
  return { tick, statuses: {}, blackboard: {} };
}

export function cloneFrame(frame: Frame): Frame {
  return structuredClone(frame);
}

/** The delta of a record, or undefined when the tick changed nothing. */
export function deltaOf(record: TickRecordMessage): Delta | undefined {
  const delta: Delta = {};
  if (record.nodes.length > 0) delta.nodes = record.nodes;
  if (record.writes.length > 0) delta.writes = record.writes;
  if (record.visits && record.visits.length > 0) delta.visits = record.visits;
  return delta.nodes || delta.writes || delta.visits ? delta : undefined;
}

/**
 * Moves `frame` (mutated) to `tick` by applying its delta. With the tick's checkpoint, statuses are
 * then taken from it: a checkpoint holds the status of every node that is not IDLE, so it is
 * exact even after a gap in the records.
 */
export function applyDelta(
  frame: Frame,
  tick: number,
  delta: Delta | undefined,
  checkpoint?: Checkpoint,
): Frame {
  frame.tick = tick;
  for (const change of delta?.nodes ?? []) frame.statuses[change.id] = change.to;
  for (const write of delta?.writes ?? []) {
    if ('new' in write) setValue(frame.blackboard, write.scope, write.key, write.new);
    else deleteValue(frame.blackboard, write.scope, write.key);
  }
  if (checkpoint) frame.statuses = statusesFrom(checkpoint, Object.keys(frame.statuses));
  return frame;
}

/** Every node in `ids` or in the checkpoint, with its status after the checkpoint's tick. */
export function statusesFrom(
  checkpoint: Checkpoint,
  ids: Iterable<string>,
): Record<string, Status> {
  const out: Record<string, Status> = {};
  for (const id of ids) out[id] = 'IDLE';
  for (const [id, state] of Object.entries(checkpoint.nodes)) {
    const status = (state as { status?: unknown } | null)?.status;
    out[id] = typeof status === 'string' && STATUSES.has(status) ? (status as Status) : 'IDLE';
  }
  return out;
}

export function setValue(bb: BlackboardState, scope: string, key: string, value: unknown): void {
  (bb[scope] ??= {})[key] = value;
}

export function deleteValue(bb: BlackboardState, scope: string, key: string): void {
  const values = bb[scope];
  if (!values) return;
  delete values[key];
  if (Object.keys(values).length === 0) delete bb[scope];
}

/** One field name per (scope, key): keys may hold any character, so the pair is JSON. */
export function scopedKey(scope: string, key: string): string {
  return JSON.stringify([scope, key]);
}

export function parseScopedKey(field: string): { scope: string; key: string } {
  const [scope, key] = JSON.parse(field) as [string, string];
  return { scope, key };
}
