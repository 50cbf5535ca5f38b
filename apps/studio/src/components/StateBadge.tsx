import type { ExecState, Status } from '../api/types';

export function StateBadge({ state }: { state: ExecState }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

export function StatusBadge({ status }: { status: Status }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/** `percent` null or absent: not known (the progress route's null). */
export function ProgressBar({ percent, label }: { percent?: number | null; label?: string | null }) {
  const p = Math.max(0, Math.min(100, percent ?? 0));
  return (
    <div className="progress" title={label ?? undefined} role="progressbar" aria-valuenow={Math.round(p)}>
      <div className="progress-fill" style={{ width: `${p}%` }} />
      <span className="progress-label">{percent === undefined || percent === null ? '—' : `${Math.round(p)}%`}</span>
    </div>
  );
}
