import { useMemo, useState } from 'react';
import type { StreamEvent } from '../api/types';
import { filterLog } from '../lib/live';

const TYPES = [
  'node_update',
  'tick_start',
  'tick_complete',
  'blackboard_update',
  'log',
  'progress',
  'error',
  'breakpoint_hit',
  'watch_hit',
  'execution_paused',
  'execution_resumed',
  'execution_started',
  'execution_stopped',
  'execution_completed',
  'tree_reloaded',
  'node_stuck',
  'snapshot',
  'dropped',
];

function summary(e: StreamEvent): string {
  const d = e.data ?? {};
  switch (e.type) {
    case 'node_update':
      return `${String(d.nodeId)}: ${String(d.from)} → ${String(d.to)}`;
    case 'blackboard_update':
      return `${String(d.scope)} ${String(d.key)} = ${JSON.stringify(d.value)}`;
    case 'log':
      return `${String(d.message)} ${d.values === undefined ? '' : JSON.stringify(d.values)}`;
    case 'tick_complete':
      return `${String(d.status)} in ${Number(d.durationMs).toFixed(2)} ms`;
    case 'snapshot':
      return 'connected: snapshot';
    default:
      return JSON.stringify(d).slice(0, 160);
  }
}

export function EventLog({ log }: { log: readonly StreamEvent[] }) {
  const [type, setType] = useState('');
  const [node, setNode] = useState('');
  const shown = useMemo(() => filterLog(log, new Set(type ? [type] : []), node).slice(-200).reverse(), [log, type, node]);
  return (
    <div className="panel-body events">
      <div className="row">
        <select aria-label="Event type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">all types</option>
          {TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <input aria-label="Event node" placeholder="node id" value={node} onChange={(e) => setNode(e.target.value)} />
        <span className="muted small">{shown.length} shown, newest first</span>
      </div>
      <ol className="event-list">
        {shown.map((e) => (
          <li key={`${e.tick}-${e.seq}-${e.type}-${e.at ?? ''}`} className={`ev ev-${e.type}`}>
            <span className="mono muted">#{e.tick}</span> <span className="ev-type">{e.type}</span> <span className="mono">{summary(e)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
