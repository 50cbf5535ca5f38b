import { useEffect, useState } from 'react';
import { byId, rest, unwrap } from '../api/client';
import type { HistoryEntry, TickDiff } from '../api/types';
import { preview } from '../lib/format';
import { navigate } from '../lib/router';
import { ErrorLine } from './ErrorLine';

export interface TimeTravelProps {
  execId: string;
  /** Changes whenever a tick completes, so the timeline grows. */
  lastTick: number;
  viewing?: number;
  onView: (tick: number | undefined) => void;
}

/** The history as a slider: scrub to a tick (the canvas and blackboard show it), diff, fork. */
export function TimeTravel({ execId, lastTick, viewing, onView }: TimeTravelProps) {
  const [ticks, setTicks] = useState<HistoryEntry[]>([]);
  const [diffFrom, setDiffFrom] = useState('');
  const [diffTo, setDiffTo] = useState('');
  const [diff, setDiff] = useState<TickDiff>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    // The last 1,000 ticks up to `lastTick` (the route answers oldest first).
    const query = { limit: 1000, from: Math.max(1, lastTick - 999) };
    unwrap(rest.GET('/executions/{id}/history', { params: { path: { id: execId }, query } })).then(setTicks, setError);
  }, [execId, lastTick]);
  const first = ticks[0]?.tick ?? 0;
  const last = ticks[ticks.length - 1]?.tick ?? 0;
  const shown = viewing ?? last;
  const entry = ticks.find((t) => t.tick === shown);

  if (ticks.length === 0) return <div className="panel-body muted">No history yet: tick the execution.</div>;
  return (
    <div className="panel-body timetravel">
      <div className="row">
        <input
          type="range"
          className="grow"
          aria-label="Timeline"
          min={first}
          max={last}
          value={shown}
          onChange={(e) => onView(Number(e.target.value))}
        />
        <span className="mono tick-label" data-testid="viewing-tick">
          tick {shown}
        </span>
      </div>
      <div className="row muted small">
        <span>
          ticks {first}–{last}
        </span>
        {entry && (
          <span>
            {entry.status} · {entry.durationMs.toFixed(2)} ms · {new Date(entry.startedAt).toLocaleTimeString()}
          </span>
        )}
        <span className="spacer" />
        {viewing !== undefined && <button onClick={() => onView(undefined)}>Back to live</button>}
        <button
          onClick={async () => {
            try {
              const fork = await unwrap(rest.POST('/executions/{id}/fork', { ...byId(execId), body: { fromTick: shown } }));
              navigate({ page: 'execution', id: fork.id });
            } catch (err) {
              setError(err);
            }
          }}
        >
          Fork from tick {shown}
        </button>
      </div>
      <ErrorLine error={error} />
      <form
        className="row"
        aria-label="Diff"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const query = { from: Number(diffFrom || Math.max(first, shown - 1)), to: Number(diffTo || shown) };
            setDiff(await unwrap(rest.GET('/executions/{id}/history/diff', { params: { path: { id: execId }, query } })));
            setError(undefined);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <span>Diff tick</span>
        <input aria-label="Diff from" className="num-input" placeholder={String(Math.max(first, shown - 1))} value={diffFrom} onChange={(e) => setDiffFrom(e.target.value)} />
        <span>to</span>
        <input aria-label="Diff to" className="num-input" placeholder={String(shown)} value={diffTo} onChange={(e) => setDiffTo(e.target.value)} />
        <button type="submit">Diff</button>
      </form>
      {diff && (
        <div className="diff">
          <h4>
            Tick {diff.from} → {diff.to}
          </h4>
          <table className="grid">
            <tbody>
              {diff.nodes.map((n) => (
                <tr key={n.id}>
                  <td className="mono">{n.id}</td>
                  <td>
                    <span className={`badge status-${n.from}`}>{n.from}</span> → <span className={`badge status-${n.to}`}>{n.to}</span>
                  </td>
                </tr>
              ))}
              {diff.blackboard.map((b) => (
                <tr key={`${b.scope}/${b.key}`}>
                  <td className="mono">
                    {b.scope} {b.key}
                  </td>
                  <td className="mono">
                    {preview(b.from, 40)} → {preview(b.to, 40)}
                  </td>
                </tr>
              ))}
              {diff.nodes.length + diff.blackboard.length === 0 && (
                <tr>
                  <td className="muted">no difference</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
