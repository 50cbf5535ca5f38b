import { useState } from 'react';
import { byId, rest, unwrap } from '../api/client';
import type { Breakpoint, PausedAt, Watch } from '../api/types';
import { ErrorLine } from './ErrorLine';

/** What a `replace` breakpoint makes the node return. */
type ReplaceStatus = NonNullable<Breakpoint['status']>;

/** Every hook on the node (node ids may hold `/`: the SDK sends it as `%2F`, which the route takes). */
export function removeBreakpoints(execId: string, nodeId: string) {
  return unwrap(rest.DELETE('/executions/{id}/breakpoints/{nodeId}', { params: { path: { id: execId, nodeId } } }));
}

export interface DebugPanelProps {
  execId: string;
  selectedNode?: string;
  breakpoints: Breakpoint[];
  watches: Watch[];
  pausedAt?: PausedAt;
  onChanged: () => void;
}

/** Conditional and replace (fault-injection) breakpoints, watches, and where the tick stands. */
export function DebugPanel({ execId, selectedNode, breakpoints, watches, pausedAt, onChanged }: DebugPanelProps) {
  const [nodeId, setNodeId] = useState('');
  const [when, setWhen] = useState<'before' | 'after'>('before');
  const [mode, setMode] = useState<'break' | 'replace'>('break');
  const [status, setStatus] = useState<ReplaceStatus>('FAILURE');
  const [condition, setCondition] = useState('');
  const [once, setOnce] = useState(false);
  const [watchKey, setWatchKey] = useState('');
  const [watchCondition, setWatchCondition] = useState('');
  const [error, setError] = useState<unknown>();
  const target = nodeId || selectedNode || '';

  const run = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setError(undefined);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="panel-body debug">
      {pausedAt ? (
        <p className="paused-banner">
          Paused at tick {pausedAt.tick}
          {pausedAt.nodeId && (
            <>
              , {pausedAt.when} <code>{pausedAt.nodeId}</code>
            </>
          )}{' '}
          ({pausedAt.reason}
          {pausedAt.status ? `, ${pausedAt.status}` : ''})
        </p>
      ) : (
        <p className="muted">Not paused. Click a node on the canvas to toggle a breakpoint on it.</p>
      )}
      <ErrorLine error={error} />
      <h4>Breakpoints</h4>
      <ul className="list">
        {breakpoints.map((b) => (
          <li key={b.id} data-breakpoint-node={b.nodeId}>
            <code>{b.nodeId}</code> {b.when} {b.mode === 'replace' ? `replace → ${b.status}` : 'break'}
            {b.condition && (
              <>
                {' '}
                if <code>{b.condition}</code>
              </>
            )}
            {b.once && ' (once)'}
            <button className="ghost small" onClick={() => run(() => removeBreakpoints(execId, b.nodeId))}>
              remove
            </button>
          </li>
        ))}
        {breakpoints.length === 0 && <li className="muted">none</li>}
      </ul>
      <form
        className="stack-form"
        aria-label="New breakpoint"
        onSubmit={(e) => {
          e.preventDefault();
          const body = {
            nodeId: target,
            when: mode === 'replace' ? ('before' as const) : when,
            mode,
            status: mode === 'replace' ? status : undefined,
            condition: condition.trim() || undefined,
            once,
          };
          void run(() => unwrap(rest.POST('/executions/{id}/breakpoints', { ...byId(execId), body })));
        }}
      >
        <div className="row">
          <input aria-label="Breakpoint node" placeholder={selectedNode ?? 'node id'} value={nodeId} onChange={(e) => setNodeId(e.target.value)} />
          <select aria-label="When" value={when} disabled={mode === 'replace'} onChange={(e) => setWhen(e.target.value as 'before' | 'after')}>
            <option>before</option>
            <option>after</option>
          </select>
          <select aria-label="Breakpoint mode" value={mode} onChange={(e) => setMode(e.target.value as 'break' | 'replace')}>
            <option value="break">break</option>
            <option value="replace">replace (fault injection)</option>
          </select>
          {mode === 'replace' && (
            <select aria-label="Replace status" value={status} onChange={(e) => setStatus(e.target.value as ReplaceStatus)}>
              <option>SUCCESS</option>
              <option>FAILURE</option>
              <option>RUNNING</option>
            </select>
          )}
        </div>
        <div className="row">
          <input
            className="mono grow"
            aria-label="Condition"
            placeholder="condition, e.g. (< $battery 20)"
            value={condition}
            onChange={(e) => setCondition(e.target.value)}
          />
          <label className="check">
            <input type="checkbox" checked={once} onChange={(e) => setOnce(e.target.checked)} /> once
          </label>
          <button type="submit" disabled={!target}>
            Add breakpoint
          </button>
        </div>
      </form>
      <h4>Watches</h4>
      <ul className="list">
        {watches.map((w) => (
          <li key={w.id} data-watch-key={w.key}>
            <code>{w.key}</code>
            {w.condition && (
              <>
                {' '}
                if <code>{w.condition}</code>
              </>
            )}
            <button className="ghost small" onClick={() => run(() => unwrap(rest.DELETE('/executions/{id}/watches/{watchId}', { params: { path: { id: execId, watchId: w.id } } })))}>
              remove
            </button>
          </li>
        ))}
        {watches.length === 0 && <li className="muted">none</li>}
      </ul>
      <form
        className="row"
        aria-label="New watch"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const body = { key: watchKey.trim(), condition: watchCondition.trim() || undefined };
            await unwrap(rest.POST('/executions/{id}/watches', { ...byId(execId), body }));
            setWatchKey('');
            setWatchCondition('');
          });
        }}
      >
        <input className="mono" aria-label="Watch key" placeholder="key, e.g. battery" value={watchKey} onChange={(e) => setWatchKey(e.target.value)} />
        <input
          className="mono grow"
          aria-label="Watch condition"
          placeholder="condition (optional)"
          value={watchCondition}
          onChange={(e) => setWatchCondition(e.target.value)}
        />
        <button type="submit" disabled={!watchKey.trim()}>
          Add watch
        </button>
      </form>
    </div>
  );
}
