import { useCallback, useEffect, useState } from 'react';
import { allExecutions, rest, unwrap } from '../api/client';
import type { BlackboardEntry, Execution } from '../api/types';
import { ErrorLine } from '../components/ErrorLine';
import { Link } from '../components/Link';
import { ProgressBar, StateBadge, StatusBadge } from '../components/StateBadge';
import { useProgress } from './useProgress';

/** Semaphores keep their holders in the team scope, key `__semaphore:<name>` (docs/architecture.md). */
const SEMAPHORE_PREFIX = '__semaphore:';

/** A team's executions side by side, and who holds the team's semaphores. */
export function TeamPage({ team }: { team: string }) {
  const [executions, setExecutions] = useState<Execution[]>([]);
  const [semaphores, setSemaphores] = useState<BlackboardEntry[]>([]);
  const [error, setError] = useState<unknown>();
  const refresh = useCallback(async () => {
    try {
      const all = await allExecutions();
      setExecutions(all.filter((x) => x.team === team));
      const scope = await unwrap(rest.GET('/blackboard/{scope}', { params: { path: { scope: `team:${team}` } } }));
      setSemaphores(scope.filter((e) => e.key.startsWith(SEMAPHORE_PREFIX)));
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  }, [team]);
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), 2000);
    return () => clearInterval(timer);
  }, [refresh]);
  const progress = useProgress(executions, () => void refresh());
  return (
    <div className="page">
      <div className="page-head">
        <h1>Team {team}</h1>
        <span className="muted">{executions.length} executions</span>
      </div>
      <ErrorLine error={error} />
      <section className="card">
        <h3>Semaphores</h3>
        {semaphores.length === 0 && <p className="muted">No semaphore held in this team.</p>}
        <table className="grid">
          <tbody>
            {semaphores.map((s) => (
              <tr key={s.key}>
                <td className="mono">{s.key.slice(SEMAPHORE_PREFIX.length)}</td>
                <td className="mono">{JSON.stringify(s.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <div className="team-grid">
        {executions.map((x) => (
          <div key={x.id} className="card exec-card">
            <Link route={{ page: 'execution', id: x.id }} className="mono">
              {x.id}
            </Link>
            <div>
              {x.tree} <span className="muted">v{x.version}</span>
            </div>
            <div className="row">
              <StateBadge state={x.state} /> <StatusBadge status={x.status} /> <span className="mono">tick {x.tick}</span>
            </div>
            <ProgressBar percent={progress.get(x.id)?.progress.percent} />
          </div>
        ))}
      </div>
    </div>
  );
}
