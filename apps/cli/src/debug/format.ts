import {
  DebugError,
  type DebugBreakpoint,
  type DebugConditionError,
  type DebugHit,
  type DebugOutcome,
  type DebugView,
  type DebugWatch,
  type NodeInfo,
  type PausedAt,
} from '@canopy/engine';
import { nodeLabel, renderTickEvents } from '../render';
import { CommandError } from './commands';

/** How the session names things: nodes by id, and breakpoints it set (once-only ones are gone from the debugger after their hit). */
export interface Names {
  nodes: ReadonlyMap<string, NodeInfo>;
  breakpoints: ReadonlyMap<string, DebugBreakpoint>;
}

/** A BAD_CONDITION with the text it is about, so the message can point into it. */
export class ConditionError extends Error {
  constructor(
    readonly error: DebugError,
    readonly text: string,
  ) {
    super(error.message);
  }
}

/** `[0.1] action "work"`. */
export function node(names: Names, id: string): string {
  const info = names.nodes.get(id);
  return info === undefined ? `[${id}]` : `[${id}] ${nodeLabel(info)}`;
}

export function formatOutcome(names: Names, outcome: DebugOutcome): string[] {
  const lines: string[] = [];
  if (outcome.kind === 'completed') {
    lines.push(`tick ${outcome.record.tick} completed: ${outcome.record.status}`);
  } else {
    lines.push(formatPause(names, outcome.at));
  }
  const own = outcome.kind === 'paused' ? outcome.at.breakpointId : undefined;
  for (const hit of outcome.hits) {
    if (hit.kind === 'breakpoint' && hit.breakpointId === own) continue;
    lines.push(`  ${formatHit(names, hit)}`);
  }
  for (const e of outcome.conditionErrors) lines.push(`  ${formatConditionError(names, e)}`);
  if (outcome.kind === 'completed') lines.push(...renderTickEvents(outcome.record));
  return lines;
}

/** `tick 1 paused after [0.0] set: SUCCESS (watch w1)`. */
export function formatPause(names: Names, at: PausedAt): string {
  const where = at.nodeId === undefined ? '' : ` ${at.when} ${node(names, at.nodeId)}`;
  const status = at.status === undefined ? '' : `: ${at.status}`;
  const why =
    at.reason === 'breakpoint'
      ? `breakpoint ${at.breakpointId}`
      : at.reason === 'watch'
        ? `watch ${at.watchId}`
        : at.reason;
  return `tick ${at.tick} paused${where}${status} (${why})`;
}

function formatHit(names: Names, hit: DebugHit): string {
  if (hit.kind === 'watch') {
    return `watch ${hit.watchId}: ${hit.key} ${value(hit.oldValue)} -> ${value(hit.value)} (written by ${node(names, hit.nodeId)})`;
  }
  const bp = names.breakpoints.get(hit.breakpointId);
  if (bp?.mode === 'replace') {
    return `replaced ${node(names, hit.nodeId)} with ${hit.status} (breakpoint ${hit.breakpointId})`;
  }
  const status = hit.status === undefined ? '' : `: ${hit.status}`;
  return `breakpoint ${hit.breakpointId} ${hit.when} ${node(names, hit.nodeId)}${status}`;
}

function formatConditionError(names: Names, e: DebugConditionError): string {
  const hook = e.breakpointId !== undefined ? `breakpoint ${e.breakpointId}` : `watch ${e.watchId}`;
  return `condition of ${hook} failed at ${node(names, e.nodeId)}, counted as false: ${e.message}`;
}

/** `b1: break before [0.1] action "work" once if (> a 0) (disabled)`. */
export function formatBreakpoint(names: Names, bp: DebugBreakpoint): string {
  const what =
    bp.mode === 'replace'
      ? `replace ${node(names, bp.nodeId)} with ${bp.status}`
      : `break ${bp.when} ${node(names, bp.nodeId)}`;
  const once = bp.once ? ' once' : '';
  const condition = bp.condition === undefined ? '' : ` if ${bp.condition}`;
  return `${bp.id}: ${what}${once}${condition}${bp.enabled ? '' : ' (disabled)'}`;
}

export function formatWatch(w: DebugWatch): string {
  return `${w.id}: watch ${w.key}${w.condition === undefined ? '' : ` if ${w.condition}`}`;
}

export function formatView(view: DebugView): string[] {
  const lines = (['global', 'team', 'exec'] as const).map(
    (scope) => `${scope} ${JSON.stringify(view.blackboard[scope])}`,
  );
  for (const local of view.locals) lines.push(`${local.scope} ${JSON.stringify(local.values)}`);
  return lines;
}

/** A value as JSON; `unset` for a key that does not exist. */
export function value(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}

/** What the user sees when a command fails; a bad condition gets a caret under its column. */
export function formatError(error: unknown): string[] {
  if (error instanceof ConditionError) {
    const { line = 1, column = 1 } = error.error;
    const lines = [`error BAD_CONDITION at ${line}:${column}: ${error.error.message}`];
    const text = error.text.split(/\r\n|\r|\n/)[line - 1];
    if (text !== undefined) lines.push(`  ${text}`, `  ${' '.repeat(Math.max(0, column - 1))}^`);
    return lines;
  }
  if (error instanceof DebugError) return [`error ${error.code}: ${error.message}`];
  if (error instanceof CommandError) return [`error: ${error.message}`];
  return [`error: ${error instanceof Error ? error.message : String(error)}`];
}
