import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { byId, rest, treeStructure, unwrap } from '../api/client';
import type { DebugView, Status, StreamEvent, TreeNode, TreeStructure } from '../api/types';
import { BlackboardPanel } from '../components/BlackboardPanel';
import { DebugPanel, removeBreakpoints } from '../components/DebugPanel';
import { ErrorLine } from '../components/ErrorLine';
import { EventLog } from '../components/EventLog';
import { Link } from '../components/Link';
import { ProgressBar, StateBadge, StatusBadge } from '../components/StateBadge';
import { formatDuration } from '../lib/format';
import { POLL_MS, progressFromEvent } from '../lib/progress';
import type { Progress } from '../api/types';
import { TimeTravel } from '../components/TimeTravel';
import { type NodeOverlay, TreeCanvas } from '../components/TreeCanvas';
import { defaultCollapsed } from '../lib/layout';
import { useLiveExecution } from './useLiveExecution';

const BB_REFRESH_MS = 500;

// CodeMirror is half of Studio's code: loaded when the Source tab is first opened, so the tree
// shows sooner.
const SourceEditor = lazy(() => import('../components/SourceEditor').then((m) => ({ default: m.SourceEditor })));

type Tab = 'blackboard' | 'debug' | 'events' | 'time' | 'editor';
const TABS: [Tab, string][] = [
  ['blackboard', 'Blackboard'],
  ['debug', 'Breakpoints & watches'],
  ['events', 'Events'],
  ['time', 'Time travel'],
  ['editor', 'Source'],
];

interface PastTick {
  tick: number;
  statuses: Record<string, Status>;
  blackboard: Record<string, Record<string, unknown>>;
  nodes: TreeNode[];
}

export function ExecutionPage({ id }: { id: string }) {
  const [structure, setStructure] = useState<TreeStructure>();
  const [debug, setDebug] = useState<DebugView>();
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string>();
  const [tab, setTab] = useState<Tab>('blackboard');
  const [past, setPast] = useState<PastTick>();
  const [stats, setStats] = useState<Map<string, NodeOverlay>>();
  const [showStats, setShowStats] = useState(false);
  const [bbRefresh, setBbRefresh] = useState(0);
  const [error, setError] = useState<unknown>();
  const lastBbRefresh = useRef(0);
  const bbTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(bbTimer.current), []);

  // Refreshes overlap (an action's, a pause event's); answers can come back out of order, and
  // only the latest request's may be applied, or an older "not paused" would undo a pause.
  const debugRequests = useRef(0);
  const refreshDebug = useCallback(async () => {
    const request = ++debugRequests.current;
    try {
      const view: DebugView = await unwrap(rest.GET('/executions/{id}/debug', byId(id)));
      if (request !== debugRequests.current) return;
      setDebug(view);
      dispatch({ kind: 'debug', view });
    } catch (err) {
      if (request === debugRequests.current) setError(err);
    }
    // dispatch (below, from useReducer) is stable.
  }, [id]);

  const [progress, setProgress] = useState<Progress>();
  const progressPushedAt = useRef(0);
  const onEvents = useCallback(
    (events: StreamEvent[]) => {
      const types = new Set(events.map((e) => e.type));
      // Pushed progress (the gateway's `progress` event with percent, step, elapsed and ETA).
      for (const e of events) {
        const pushed = progressFromEvent(e);
        if (pushed) {
          progressPushedAt.current = Date.now();
          setProgress(pushed);
        }
      }
      if (['execution_paused', 'execution_resumed', 'breakpoint_hit', 'watch_hit', 'tree_reloaded'].some((t) => types.has(t)))
        void refreshDebug();
      // The stored blackboard moves with ticks; re-read it at most twice a second, and always after
      // the last tick of a burst (a trailing refresh).
      if (['tick_complete', 'snapshot', 'execution_paused', 'tree_reloaded'].some((t) => types.has(t)) && bbTimer.current === undefined) {
        const wait = Math.max(0, lastBbRefresh.current + BB_REFRESH_MS - Date.now());
        bbTimer.current = setTimeout(() => {
          bbTimer.current = undefined;
          lastBbRefresh.current = Date.now();
          setBbRefresh((n) => n + 1);
        }, wait);
      }
    },
    [refreshDebug],
  );
  const [live, dispatch, connected] = useLiveExecution(id, onEvents);
  const execution = live.execution;

  // The tree's structure (the version the execution runs): again whenever a reload moves it.
  const treeName = live.execution?.tree;
  useEffect(() => {
    if (live.version === undefined || !treeName || structure?.version === live.version) return;
    treeStructure(treeName, live.version).then((s) => {
      performance.mark('studio:structure-loaded');
      setStructure(s);
      setCollapsed((c) => (structure ? c : defaultCollapsed(s.nodes)));
    }, setError);
  }, [treeName, live.version, structure]);
  useEffect(() => {
    void refreshDebug();
  }, [refreshDebug]);

  // Per-node stats overlay, refreshed with the ticks while shown.
  const tick = execution?.tick ?? 0;

  // Progress polled every 2 s while nothing pushes it (a gateway without pushed progress).
  const ticked = tick > 0;
  useEffect(() => {
    if (!ticked) return;
    const poll = () => {
      if (Date.now() - progressPushedAt.current < POLL_MS * 1.5) return;
      unwrap(rest.GET('/executions/{id}/progress', byId(id))).then(setProgress, () => undefined);
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => clearInterval(timer);
  }, [id, ticked]);
  useEffect(() => {
    if (!showStats) return setStats(undefined);
    unwrap(rest.GET('/executions/{id}/stats/nodes', byId(id))).then(
      (s) => {
        const busiest = Math.max(0, ...s.nodes.map((n) => n.timeMs));
        setStats(
          new Map(
            s.nodes.map((n) => [
              n.id,
              { visits: n.visits, timeMs: n.timeMs, failures: n.statuses.FAILURE ?? 0, heat: busiest > 0 ? n.timeMs / busiest : 0 },
            ]),
          ),
        );
      },
      () => setStats(new Map()),
    );
  }, [id, showStats, tick]);

  const tickRequests = useRef(0);
  const viewTick = useCallback(
    async (t: number | undefined) => {
      const request = ++tickRequests.current;
      if (t === undefined) return setPast(undefined);
      try {
        const state = await unwrap(rest.GET('/executions/{id}/history/{tick}', { params: { path: { id, tick: t } } }));
        const nodes =
          structure && state.version === structure.version
            ? structure.nodes
            : (await treeStructure(state.tree, state.version)).nodes;
        // Scrubbing sends a request per step: only the last one shown is the one to show.
        if (request === tickRequests.current) setPast({ tick: t, statuses: state.statuses, blackboard: state.blackboard, nodes });
      } catch (err) {
        setError(err);
      }
    },
    [id, structure],
  );

  const breakpointNodes = useMemo(() => new Set((debug?.breakpoints ?? []).map((b) => b.nodeId)), [debug]);
  const toggleCollapse = useCallback(
    (nodeId: string) =>
      setCollapsed((c) => {
        const next = new Set(c);
        if (!next.delete(nodeId)) next.add(nodeId);
        return next;
      }),
    [],
  );
  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setError(undefined);
    } catch (err) {
      setError(err);
    }
    await refreshDebug();
  };
  const toggleBreakpoint = (nodeId: string) => {
    setSelected(nodeId);
    void act(() => (breakpointNodes.has(nodeId) ? removeBreakpoints(id, nodeId) : unwrap(rest.POST('/executions/{id}/breakpoints', { ...byId(id), body: { nodeId } }))));
  };

  const paused = execution?.state === 'paused';
  const pausedAt = live.pausedAt ?? (debug?.paused ? debug.pausedAt : undefined);
  const frozen = past
    ? { title: `The blackboard after tick ${past.tick} (history).`, scopes: past.blackboard }
    : debug?.paused
      ? {
          title: `Mid-tick, as node ${debug.pausedAt?.nodeId ?? '(between ticks)'} sees it (the tick's own writes included):`,
          scopes: {
            exec: debug.blackboard.exec,
            ...(execution?.team ? { team: debug.blackboard.team } : {}),
            global: debug.blackboard.global,
            ...Object.fromEntries(debug.locals.map((l) => [l.scope, l.values])),
          },
        }
      : undefined;

  return (
    <div className="page execution-page">
      <div className="page-head">
        <h1 className="mono">{id}</h1>
        {execution && (
          <>
            <span>
              {execution.tree} <span className="muted">v{execution.version}</span>
            </span>
            {execution.team && <Link route={{ page: 'team', team: execution.team }}>team {execution.team}</Link>}
            <StateBadge state={execution.state} />
            <StatusBadge status={execution.status} />
            <span className="mono" data-testid="exec-tick">
              tick {execution.tick}
            </span>
            {progress && (
              <span className="head-progress" title={progress.step ?? undefined}>
                <ProgressBar percent={progress.percent} label={progress.step} />
                {execution.state === 'running' && progress.etaMs ? <span className="muted small">ETA {formatDuration(progress.etaMs)}</span> : null}
              </span>
            )}
          </>
        )}
        <span className={connected ? 'live-dot on' : 'live-dot'} title={connected ? 'live' : 'disconnected'} />
        <span className="spacer" />
        <div className="toolbar">
          <button disabled={execution?.state === 'stopped'} onClick={() => act(() => unwrap(rest.POST('/executions/{id}/tick', { ...byId(id), body: { count: 1 } })))} title="One tick (paused: goes on with the paused tick)">
            Tick
          </button>
          {execution?.state === 'running' ? (
            <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/pause', byId(id))))}>Pause</button>
          ) : paused ? (
            <button onClick={() => act(() => unwrap(rest.POST('/executions/{id}/resume', byId(id))))}>Resume</button>
          ) : (
            <button disabled={execution?.state === 'stopped'} onClick={() => act(() => unwrap(rest.POST('/executions/{id}/start', { ...byId(id), body: { mode: 'interval', intervalMs: 200 } })))}>
              Start
            </button>
          )}
          <button disabled={execution?.state === 'stopped'} onClick={() => act(() => unwrap(rest.POST('/executions/{id}/stop', byId(id))))}>
            Stop
          </button>
          <span className="sep" />
          {(['into', 'over', 'out'] as const).map((m) => (
            <button key={m} disabled={!paused} onClick={() => act(() => unwrap(rest.POST('/executions/{id}/step', { ...byId(id), body: { mode: m } })))} title={`step ${m}`}>
              Step {m}
            </button>
          ))}
          <button disabled={!paused} onClick={() => act(() => unwrap(rest.POST('/executions/{id}/step', { ...byId(id), body: { mode: 'continue' } })))}>
            Continue
          </button>
          <span className="sep" />
          <label className="check">
            <input type="checkbox" checked={showStats} onChange={(e) => setShowStats(e.target.checked)} /> Stats
          </label>
        </div>
      </div>
      <ErrorLine error={error} />
      {past && (
        <div className="past-banner">
          Viewing tick {past.tick} from the history. <button onClick={() => void viewTick(undefined)}>Back to live</button>
        </div>
      )}
      {live.dropped > 0 && <div className="note">{live.dropped} events skipped by the gateway (this page fell behind); the view was refreshed from a new snapshot.</div>}
      <div className="split">
        {structure ? (
          <TreeCanvas
            nodes={past?.nodes ?? structure.nodes}
            statuses={past?.statuses ?? live.statuses}
            collapsed={collapsed}
            onToggleCollapse={toggleCollapse}
            onCollapseAll={(how) => setCollapsed(how === 'expand' ? new Set() : defaultCollapsed(past?.nodes ?? structure.nodes))}
            onNodeClick={toggleBreakpoint}
            pausedNodeId={past ? undefined : pausedAt?.nodeId}
            pausedWhen={pausedAt?.when}
            breakpoints={breakpointNodes}
            selectedId={selected}
            stats={stats}
          />
        ) : (
          <div className="canvas muted">Loading the tree…</div>
        )}
        <aside className="side">
          <div className="tabs" role="tablist">
            {TABS.map(([t, label]) => (
              <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)}>
                {label}
              </button>
            ))}
          </div>
          {tab === 'blackboard' && (
            <BlackboardPanel execId={id} team={execution?.team} refreshKey={bbRefresh} frozen={frozen} frozenOnly={past !== undefined} />
          )}
          {tab === 'debug' && (
            <DebugPanel
              execId={id}
              selectedNode={selected}
              breakpoints={debug?.breakpoints ?? []}
              watches={debug?.watches ?? []}
              pausedAt={pausedAt}
              onChanged={() => void refreshDebug()}
            />
          )}
          {tab === 'events' && <EventLog log={live.log} />}
          {tab === 'time' && <TimeTravel execId={id} lastTick={tick} viewing={past?.tick} onView={(t) => void viewTick(t)} />}
          {tab === 'editor' && execution && (
            <Suspense fallback={<div className="panel-body muted">Loading the editor…</div>}>
              <SourceEditor execId={id} tree={execution.tree} version={live.version ?? execution.version} />
            </Suspense>
          )}
        </aside>
      </div>
    </div>
  );
}
