import type { ExecState, Status } from '../api/types';

export function StateBadge({ state }: { state: ExecState }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

export function StatusBadge({ status }: { status: Status }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function ProgressBar({ percent, label }: { percent?: number; label?: string }) {
  const p = Math.max(0, Math.min(100, percent ?? 0));
  return (
    <div className="progress" title={label} role="progressbar" aria-valuenow={Math.round(p)}>
      <div className="progress-fill" style={{ width: `${p}%` }} />
      <span className="progress-label">{percent === undefined ? '—' : `${Math.round(p)}%`}</span>
    </div>
  );
}
