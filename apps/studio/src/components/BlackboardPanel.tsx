import { useCallback, useEffect, useRef, useState } from 'react';
import { CanopyError, rest, unwrap } from '../api/client';
import type { BlackboardEntry } from '../api/types';
import { parseValue, preview } from '../lib/format';
import { ErrorLine } from './ErrorLine';

interface Conflict {
  key: string;
  mine: unknown;
  current?: BlackboardEntry;
}

/** One stored scope, editable in place with compare-and-set. */
function StoredScope({ scope, title, refreshKey }: { scope: string; title: string; refreshKey: number }) {
  const [entries, setEntries] = useState<BlackboardEntry[]>([]);
  const [editing, setEditing] = useState<{ key: string; text: string; version: number }>();
  const [conflict, setConflict] = useState<Conflict>();
  const [error, setError] = useState<unknown>();
  // Loads overlap (ticks, saves): only the latest request's answer is shown.
  const requests = useRef(0);
  const load = useCallback(async () => {
    const request = ++requests.current;
    try {
      const list = await unwrap(rest.GET('/blackboard/{scope}', { params: { path: { scope } } }));
      if (request !== requests.current) return;
      setEntries(list);
      setError(undefined);
    } catch (err) {
      if (request === requests.current) setError(err);
    }
  }, [scope]);
  useEffect(() => {
    void load();
  }, [load, refreshKey]);

  const save = async (key: string, value: unknown, version: number) => {
    try {
      // Compare-and-set: 409 VERSION_CONFLICT when the key moved past `version`.
      await unwrap(rest.PUT('/blackboard/{scope}/keys/{key}', { params: { path: { scope, key } }, body: { value, version } }));
      setEditing(undefined);
      setConflict(undefined);
    } catch (err) {
      if (err instanceof CanopyError && err.code === 'VERSION_CONFLICT') {
        // Someone (often the tree itself) wrote the key since we read it: show theirs next to ours.
        const current = await unwrap(rest.GET('/blackboard/{scope}/keys/{key}', { params: { path: { scope, key } } })).catch(() => undefined);
        setConflict({ key, mine: value, current });
        setEditing(undefined);
      } else setError(err);
    }
    await load();
  };

  return (
    <section className="bb-scope" data-scope={scope}>
      <h4>
        {title} <span className="muted mono">{scope}</span>
      </h4>
      <ErrorLine error={error} />
      {conflict && (
        <div className="conflict" role="alert">
          <strong>Version conflict on {conflict.key}.</strong> The key is now at version{' '}
          {conflict.current?.version ?? 0} with value <code>{preview(conflict.current?.value)}</code>; yours was{' '}
          <code>{preview(conflict.mine)}</code>.
          <div className="row">
            <button onClick={() => void save(conflict.key, conflict.mine, conflict.current?.version ?? 0)}>Write mine over it</button>
            <button onClick={() => setConflict(undefined)}>Keep theirs</button>
          </div>
        </div>
      )}
      <table className="grid bb">
        <tbody>
          {entries.map((e) => (
            <tr key={e.key} data-key={e.key}>
              <td className="mono key">{e.key}</td>
              <td className="value">
                {editing?.key === e.key ? (
                  <form
                    className="inline-edit"
                    onSubmit={(ev) => {
                      ev.preventDefault();
                      void save(e.key, parseValue(editing.text), editing.version);
                    }}
                  >
                    <input
                      autoFocus
                      aria-label={`value of ${e.key}`}
                      value={editing.text}
                      onChange={(ev) => setEditing({ ...editing, text: ev.target.value })}
                    />
                    <button type="submit" className="primary">
                      Save
                    </button>
                    <button type="button" onClick={() => setEditing(undefined)}>
                      Cancel
                    </button>
                  </form>
                ) : (
                  <button
                    className="value-button mono"
                    title="Click to edit (compare-and-set on this version)"
                    onClick={() => setEditing({ key: e.key, text: JSON.stringify(e.value), version: e.version })}
                  >
                    {preview(e.value)}
                  </button>
                )}
              </td>
              <td className="muted small">v{e.version}</td>
            </tr>
          ))}
          {entries.length === 0 && (
            <tr>
              <td className="muted">empty</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

/** A read-only scope: the mid-tick view of a paused execution, locals, or a past tick. */
function ValuesScope({ title, values }: { title: string; values: Record<string, unknown> }) {
  const keys = Object.keys(values).sort();
  return (
    <section className="bb-scope readonly">
      <h4>{title}</h4>
      <table className="grid bb">
        <tbody>
          {keys.map((k) => (
            <tr key={k} data-key={k}>
              <td className="mono key">{k}</td>
              <td className="mono value">{preview(values[k])}</td>
            </tr>
          ))}
          {keys.length === 0 && (
            <tr>
              <td className="muted">empty</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

export interface BlackboardPanelProps {
  execId: string;
  team?: string;
  refreshKey: number;
  /** Scope name -> values, shown read-only (a paused tick's mid-tick view and locals, a past tick). */
  frozen?: { title: string; scopes: Record<string, Record<string, unknown>> };
  /** Time travel: only the past tick, not the store. */
  frozenOnly?: boolean;
}

export function BlackboardPanel({ execId, team, refreshKey, frozen, frozenOnly }: BlackboardPanelProps) {
  return (
    <div className="panel-body">
      {frozen && (
        <div className="frozen">
          <p className="note">{frozen.title}</p>
          {Object.entries(frozen.scopes).map(([scope, values]) => (
            <ValuesScope key={scope} title={scope} values={values} />
          ))}
        </div>
      )}
      {!frozenOnly && (
        <>
          {frozen && <p className="note">The store (what the next tick starts from), editable:</p>}
          <StoredScope scope={`exec:${execId}`} title="Execution" refreshKey={refreshKey} />
          {team && <StoredScope scope={`team:${team}`} title="Team" refreshKey={refreshKey} />}
          <StoredScope scope="global" title="Global" refreshKey={refreshKey} />
        </>
      )}
    </div>
  );
}
