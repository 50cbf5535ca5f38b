import { useCallback, useEffect, useMemo, useState } from 'react';
import { allExecutions, byId, rest, unwrap } from '../api/client';
import type { Execution, Mode, TreeSummary } from '../api/types';
import { ErrorLine } from '../components/ErrorLine';
import { Link } from '../components/Link';
import { ProgressBar, StateBadge, StatusBadge } from '../components/StateBadge';
import { formatDuration, parseValue } from '../lib/format';
import { navigate } from '../lib/router';
import { useProgress } from './useProgress';

const REFRESH_MS = 2000;

function NewExecution({ trees, onCreated }: { trees: TreeSummary[]; onCreated: () => void }) {
  const [tree, setTree] = useState('');
  const [id, setId] = useState('');
  const [team, setTeam] = useState('');
  const [mode, setMode] = useState<Mode>('manual');
  const [intervalMs, setIntervalMs] = useState('100');
  const [blackboard, setBlackboard] = useState('{}');
  const [error, setError] = useState<unknown>();
  const chosen = tree || trees[0]?.name || '';
  return (
    <form
      className="card create"
      aria-label="New execution"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          const initial = parseValue(blackboard);
          if (typeof initial !== 'object' || initial === null || Array.isArray(initial))
            throw new Error('the initial blackboard must be a JSON object');
          await unwrap(rest.POST('/executions', { body: {
            tree: chosen,
            id: id.trim() || undefined,
            team: team.trim() || undefined,
            mode,
            intervalMs: mode === 'interval' ? Number(intervalMs) : undefined,
            blackboard: initial as Record<string, unknown>,
          } }));
          setId('');
          onCreated();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h3>New execution</h3>
      <label>
        Tree
        <select value={chosen} onChange={(e) => setTree(e.target.value)}>
          {trees.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} v{t.version} ({t.nodeCount} nodes)
            </option>
          ))}
        </select>
      </label>
      <label>
        Id <input value={id} placeholder="(generated)" onChange={(e) => setId(e.target.value)} />
      </label>
      <label>
        Team <input value={team} placeholder="(none)" onChange={(e) => setTeam(e.target.value)} />
      </label>
      <label>
        Mode
        <select value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
          <option value="manual">manual</option>
          <option value="interval">interval</option>
          <option value="auto">auto</option>
          <option value="event">event</option>
        </select>
      </label>
      {mode === 'interval' && (
        <label>
          Interval (ms) <input value={intervalMs} onChange={(e) => setIntervalMs(e.target.value)} />
        </label>
      )}
      <label className="wide">
        Initial blackboard (JSON)
        <textarea rows={2} value={blackboard} onChange={(e) => setBlackboard(e.target.value)} />
      </label>
      <button type="submit" className="primary" disabled={!chosen}>
        Create
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

export function ExecutionsPage() {
  const [executions, setExecutions] = useState<Execution[]>([]);
  const [trees, setTrees] = useState<TreeSummary[]>([]);
  const [filter, setFilter] = useState('');
  const [state, setState] = useState('');
  const [error, setError] = useState<unknown>();
  const [creating, setCreating] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setExecutions(await allExecutions());
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    void refresh();
    unwrap(rest.GET('/trees')).then(setTrees, setError);
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  const progress = useProgress(executions, () => void refresh());

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return executions.filter(
      (x) =>
        (!state || x.state === state) &&
        (!needle || [x.id, x.tree, x.team ?? ''].some((f) => f.toLowerCase().includes(needle))),
    );
  }, [executions, filter, state]);

  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setError(undefined);
    } catch (err) {
      setError(err);
    }
    await refresh();
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Executions</h1>
        <input
          className="filter"
          aria-label="Filter executions"
          placeholder="Filter by id, tree or team"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        <select aria-label="State" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">all states</option>
          {['created', 'running', 'paused', 'stopped', 'completed'].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <span className="spacer" />
        <button className="primary" onClick={() => setCreating((c) => !c)}>
          {creating ? 'Close' : 'New execution'}
        </button>
      </div>
      {creating && <NewExecution trees={trees} onCreated={() => void refresh()} />}
      <ErrorLine error={error} />
      <table className="grid executions">
        <thead>
          <tr>
            <th>Execution</th>
            <th>Tree</th>
            <th>Team</th>
            <th>State</th>
            <th>Status</th>
            <th className="num">Tick</th>
            <th>Progress</th>
            <th>ETA</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((x) => {
            const entry = progress.get(x.id);
            const p = entry?.progress;
            return (
              <tr key={x.id} data-exec-id={x.id}>
                <td>
                  <Link route={{ page: 'execution', id: x.id }} className="mono">
                    {x.id}
                  </Link>
                </td>
                <td>
                  {x.tree} <span className="muted">v{x.version}</span>
                </td>
                <td>{x.team ? <Link route={{ page: 'team', team: x.team }}>{x.team}</Link> : <span className="muted">—</span>}</td>
                <td>
                  <StateBadge state={x.state} />
                </td>
                <td>
                  <StatusBadge status={x.status} />
                </td>
                <td className="num">{x.tick}</td>
                <td data-progress-source={entry ? (entry.pushedAt === undefined ? 'polled' : 'pushed') : undefined}>
                  <ProgressBar percent={p?.percent} label={p?.step} />
                  {p?.step && <div className="muted small">{p.step}</div>}
                </td>
                <td className="muted">{x.state === 'running' ? formatDuration(p?.etaMs) : '—'}</td>
                <td className="actions">
                  {x.mode === 'manual' && x.state !== 'stopped' && (
                    <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/tick', { ...byId(x.id), body: { count: 1 } })))}>Tick</button>
                  )}
                  {(x.state === 'created' || x.state === 'completed') && (
                    <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/start', { ...byId(x.id), body: { mode: 'interval', intervalMs: 200 } })))}>Start</button>
                  )}
                  {x.state === 'running' && <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/pause', byId(x.id))))}>Pause</button>}
                  {x.state === 'paused' && <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/resume', byId(x.id))))}>Resume</button>}
                  {x.state !== 'stopped' && <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/stop', byId(x.id))))}>Stop</button>}
                  {x.tick > 0 && (
                    <button
                      onClick={() =>
                        act(async () => {
                          const fork = await unwrap(rest.POST('/executions/{id}/fork', { ...byId(x.id), body: { fromTick: x.tick } }));
                          navigate({ page: 'execution', id: fork.id });
                        })
                      }
                      title="A new execution from this one's last tick"
                    >
                      Fork
                    </button>
                  )}
                  <button
                    className="danger"
                    onClick={() => window.confirm(`Delete ${x.id}?`) && act(() => unwrap(rest.DELETE('/executions/{id}', byId(x.id))))}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
          {shown.length === 0 && (
            <tr>
              <td colSpan={9} className="muted empty">
                {executions.length === 0 ? 'No executions yet: create one.' : 'No execution matches the filter.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
