import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, linter, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef, useState } from 'react';
import { CanopyError, rest, unwrap } from '../api/client';
import type { ReloadPolicy, SourceError } from '../api/types';
import { canopyLisp } from '../lib/lisp';
import { errorText } from './ErrorLine';

/** CodeMirror positions of the gateway's `{line, column}` errors (1-based). */
export function diagnosticsOf(doc: EditorState['doc'], errors: readonly SourceError[]): Diagnostic[] {
  return errors.map((e) => {
    const line = doc.line(Math.min(Math.max(1, e.line), doc.lines));
    const from = Math.min(line.from + Math.max(0, e.column - 1), line.to);
    // Underline the token that starts there (to the next blank or bracket), at least one character.
    const rest = line.text.slice(from - line.from);
    const token = /^[^\s()[\]{}]+/.exec(rest)?.[0] ?? '';
    return { from, to: Math.min(from + Math.max(1, token.length), line.to), severity: 'error', message: e.message };
  });
}

function errorsOf(error: unknown): SourceError[] | undefined {
  if (!(error instanceof CanopyError) || error.status !== 400 || !error.body) return undefined;
  const listed = (error.body.details as { errors?: SourceError[] } | undefined)?.errors;
  if (listed?.length) return listed;
  if (error.body.line !== undefined) return [{ line: error.body.line, column: error.body.column ?? 1, message: error.message }];
  return undefined;
}

/** The gateway's compile check, as CodeMirror diagnostics (as you type). */
const compileCheck = linter(
  async (view) => {
    try {
      await unwrap(rest.POST('/trees/check', { body: { source: view.state.doc.toString() } }));
      return [];
    } catch (error) {
      const errors = errorsOf(error);
      return errors ? diagnosticsOf(view.state.doc, errors) : [];
    }
  },
  { delay: 400 },
);

export function SourceEditor({ execId, tree, version }: { execId: string; tree: string; version: number }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [policy, setPolicy] = useState<ReloadPolicy>('let-finish-then-swap');
  const [result, setResult] = useState<{ ok: boolean; text: string }>();

  useEffect(() => {
    let cancelled = false;
    void unwrap(rest.GET('/trees/{name}/versions/{v}', { params: { path: { name: tree, v: version } } })).then(
      (record) => {
        if (cancelled || !host.current) return;
        view.current?.destroy();
        view.current = new EditorView({
          parent: host.current,
          state: EditorState.create({
            doc: record.source,
            extensions: [
              lineNumbers(),
              history(),
              bracketMatching(),
              keymap.of([...defaultKeymap, ...historyKeymap]),
              canopyLisp,
              syntaxHighlighting(defaultHighlightStyle),
              lintGutter(),
              compileCheck,
            ],
          }),
        });
      },
      (error) => setResult({ ok: false, text: errorText(error) }),
    );
    return () => {
      cancelled = true;
      view.current?.destroy();
      view.current = null;
    };
    // The source is loaded once per version: a reload made here moves `version` on purpose.
  }, [tree, version]);

  const apply = async () => {
    const v = view.current;
    if (!v) return;
    try {
      const reply = await unwrap(
        rest.PUT('/executions/{id}/tree', { params: { path: { id: execId } }, body: { source: v.state.doc.toString(), policy } }),
      );
      setResult({
        ok: true,
        text:
          `Reloaded v${reply.fromVersion} → v${reply.toVersion} (${reply.policy}${reply.pending ? ', pending until the run finishes' : ''}): ` +
          `${reply.added.length} added, ${reply.removed.length} removed, ${reply.kept.length} kept`,
      });
    } catch (error) {
      const errors = errorsOf(error);
      if (errors) v.dispatch(setDiagnostics(v.state, diagnosticsOf(v.state.doc, errors)));
      setResult({ ok: false, text: errorText(error) });
    }
  };

  return (
    <div className="panel-body editor">
      <div className="row">
        <select aria-label="Reload policy" value={policy} onChange={(e) => setPolicy(e.target.value as ReloadPolicy)}>
          <option value="let-finish-then-swap">let-finish-then-swap</option>
          <option value="cancel-and-restart">cancel-and-restart</option>
          <option value="swap-now">swap-now</option>
        </select>
        <button className="primary" onClick={() => void apply()}>
          Apply (hot reload)
        </button>
      </div>
      {result && (
        <div className={result.ok ? 'ok-line' : 'error-line'} role="status" data-testid="reload-result">
          {result.text}
        </div>
      )}
      <div className="cm-host" ref={host} data-testid="source-editor" />
    </div>
  );
}
