import type { Status } from '@canopy/engine';
import { paint, STATUS_TONE, type Tone } from '../terminal';

/** One message of the live stream (docs/streams.md): a runner event or a gateway message. */
export interface StreamMessage {
  type: string;
  execId: string;
  tick: number;
  seq: number;
  at?: string;
  data: Record<string, unknown>;
}

export interface FormatContext {
  color: boolean;
  /** Node id -> `action "fetch"`, from the execution's tree when it could be read. */
  labels?: ReadonlyMap<string, string>;
}

const STATUSES = new Set(['IDLE', 'RUNNING', 'SUCCESS', 'FAILURE']);

/**
 * A message as one line for a terminal: the tick number first, then what happened; statuses in
 * the colours `run` draws them in, node ids in cyan. Undefined for what is not worth a line
 * (`tick_start`: every line of the tick carries its number).
 */
export function formatMessage(m: StreamMessage, ctx: FormatContext): string | undefined {
  const c = ctx.color;
  const d = m.data ?? {};
  const tick = paint(c, 'dim', `#${String(m.tick).padStart(4)}`);
  const line = (mark: string, text: string) => `${tick} ${mark} ${text}`;
  const node = (id: unknown) => {
    const label = typeof id === 'string' ? ctx.labels?.get(id) : undefined;
    return `${paint(c, 'cyan', `[${String(id)}]`)}${label ? ` ${label}` : ''}`;
  };
  const status = (s: unknown) =>
    typeof s === 'string' && STATUSES.has(s) ? paint(c, STATUS_TONE[s as Status], s) : String(s);
  switch (m.type) {
    case 'tick_start':
      return undefined;
    case 'node_update':
      return line(' ', `${node(d['nodeId'])} ${status(d['from'])} → ${status(d['to'])}`);
    case 'blackboard_update': {
      // The execution's own scope goes without saying; another (global:, team:…) is named.
      const scope = String(d['scope']);
      const key = scope === `exec:${m.execId}` ? String(d['key']) : `${scope}/${String(d['key'])}`;
      const value = 'value' in d ? json(d['value']) : paint(c, 'dim', '(deleted)');
      const old = 'old' in d ? paint(c, 'dim', `  (was ${json(d['old'])})`) : '';
      return line(paint(c, 'magenta', '$'), `${key} = ${value}${old}`);
    }
    case 'log': {
      const values = Array.isArray(d['values']) ? d['values'].map(json).join(' ') : '';
      return line(
        paint(c, 'blue', '»'),
        `${node(d['nodeId'])} ${String(d['message'])}${values ? ` ${values}` : ''}`,
      );
    }
    case 'progress':
      return line(
        paint(c, 'blue', '%'),
        `${node(d['nodeId'])} ${String(d['step'])} ${String(d['percent'])}%`,
      );
    case 'error':
      return line(
        paint(c, 'red', '!'),
        `${node(d['nodeId'])} ${paint(c, 'red', `${String(d['code'])}: ${String(d['message'])}`)}`,
      );
    case 'tick_complete': {
      const counts = `${plural(d['changes'], 'change')}, ${plural(d['writes'], 'write')}`;
      return line(
        paint(c, 'bold', '●'),
        `tick ${status(d['status'])} ${paint(c, 'dim', `${ms(d['durationMs'])} ms, ${counts}`)}`,
      );
    }
    case 'history_tick': {
      // A tick that happened while the connection was down, from history (docs/sdk.md).
      const counts = (d['counts'] ?? {}) as Record<string, unknown>;
      const summary = `${plural(counts['nodes'], 'change')}, ${plural(counts['writes'], 'write')}`;
      return line(
        paint(c, 'bold', '●'),
        `tick ${status(d['status'])} ${paint(c, 'dim', `${ms(d['durationMs'])} ms, ${summary} (from history)`)}`,
      );
    }
    case 'gap':
      return line(
        paint(c, 'yellow', '…'),
        paint(
          c,
          'yellow',
          `ticks ${String(d['from'])}-${String(d['to'])} missed: ${String(d['reason'])}`,
        ),
      );
    case 'breakpoint_hit':
      return line(
        paint(c, 'red', '◆'),
        `breakpoint ${String(d['breakpointId'])} at ${node(d['nodeId'])} (${String(d['when'])}${d['status'] ? ` ${status(d['status'])}` : ''})`,
      );
    case 'watch_hit':
      return line(
        paint(c, 'red', '◆'),
        `watch ${String(d['watchId'])}: ${String(d['key'])} ${json(d['oldValue'])} → ${json(d['value'])} at ${node(d['nodeId'])}`,
      );
    case 'node_stuck':
      return line(
        paint(c, 'red', '⧗'),
        `${node(d['nodeId'])} stuck since tick ${String(d['sinceTick'])}`,
      );
    case 'tree_reloaded':
      return line(paint(c, 'magenta', '↻'), `tree reloaded ${json(d)}`);
    case 'execution_started':
    case 'execution_resumed':
    case 'execution_paused':
    case 'execution_stopped':
    case 'execution_completed':
      return line(
        paint(c, lifecycleTone(m.type), '■'),
        `${m.type.replace('execution_', 'execution ')}${details(d, ctx)}`,
      );
    case 'dropped':
      return line(
        paint(c, 'yellow', '…'),
        paint(c, 'yellow', `${String(d['count'])} events skipped (this terminal fell behind)`),
      );
    case 'snapshot':
      return snapshotLine(d, ctx);
    case 'subscribed':
      return undefined;
    default:
      return line('?', `${m.type} ${json(d)}`);
  }
}

function snapshotLine(d: Record<string, unknown>, ctx: FormatContext): string {
  const e = (d['execution'] ?? {}) as Record<string, unknown>;
  const mode =
    e['mode'] === 'interval' ? `interval ${String(e['intervalMs'])} ms` : String(e['mode']);
  const state = paint(ctx.color, 'bold', String(e['state']));
  return (
    paint(
      ctx.color,
      'dim',
      `execution ${String(e['id'])}: tree ${String(e['tree'])} v${String(e['version'])}, `,
    ) +
    `${state}${paint(ctx.color, 'dim', `, ${mode}, tick ${String(e['tick'])}, root `)}${
      typeof e['status'] === 'string' && STATUSES.has(e['status'])
        ? paint(ctx.color, STATUS_TONE[e['status'] as Status], e['status'])
        : String(e['status'])
    }`
  );
}

function lifecycleTone(type: string): Tone {
  if (type === 'execution_completed' || type === 'execution_stopped') return 'bold';
  return type === 'execution_paused' ? 'yellow' : 'green';
}

function details(d: Record<string, unknown>, ctx: FormatContext): string {
  const parts: string[] = [];
  if (typeof d['mode'] === 'string') parts.push(d['mode']);
  if (typeof d['status'] === 'string')
    parts.push(
      STATUSES.has(d['status'])
        ? paint(ctx.color, STATUS_TONE[d['status'] as Status], d['status'])
        : d['status'],
    );
  const at = d['pausedAt'] as { nodeId?: string; reason?: string } | undefined;
  if (at?.nodeId) parts.push(`at [${at.nodeId}]`);
  else if (at?.reason) parts.push(`(${at.reason})`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/** Tenths below 10 ms, whole milliseconds above. */
function ms(value: unknown): string {
  if (typeof value !== 'number') return String(value);
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

function plural(n: unknown, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

function json(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
