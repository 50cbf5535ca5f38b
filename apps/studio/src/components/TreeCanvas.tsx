import {
  Background,
  BaseEdge,
  Controls,
  type Edge,
  type EdgeProps,
  getSmoothStepPath,
  Handle,
  MiniMap,
  type Node,
  type NodeProps,
  Panel,
  Position,
  ReactFlow,
  type ReactFlowInstance,
  useStore,
} from '@xyflow/react';
import { memo, type RefObject, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { Status, TreeNode } from '../api/types';
import { layoutTree, NODE_HEIGHT, NODE_WIDTH } from '../lib/layout';
import { runningPath } from '../lib/running-path';
import { CanvasStore, type NodeOverlay } from '../lib/canvas-store';

export type { NodeOverlay };

interface BtNodeData extends Record<string, unknown> {
  node: TreeNode;
  hidden: number;
  collapsed: boolean;
  store: CanvasStore;
  onToggleCollapse: (id: string) => void;
}

type BtFlowNode = Node<BtNodeData, 'bt'>;

const BtNode = memo(function BtNode({ data }: NodeProps<BtFlowNode>) {
  const { node, store } = data;
  const subscribe = useCallback((listener: () => void) => store.subscribe(node.id, listener), [store, node.id]);
  const view = useSyncExternalStore(subscribe, () => store.view(node.id));
  const { status } = view;
  const classes = ['bt-node', `st-${status}`];
  if (view.onPath) classes.push('on-path');
  if (view.paused) classes.push('paused');
  if (view.selected) classes.push('selected');
  return (
    <div
      className={classes.join(' ')}
      data-node-id={node.id}
      data-status={status}
      data-breakpoint={view.breakpoint ? 'on' : 'off'}
      data-paused={view.paused}
      title={`${node.type}${node.name ? ` ${node.name}` : ''} [${node.id}]: ${status} — click to toggle a breakpoint`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      {view.breakpoint && <span className="bp-dot" aria-label="breakpoint" />}
      {view.paused && <span className="paused-tag">{view.paused}</span>}
      <div className="bt-type">{node.type}</div>
      {node.name && <div className="bt-name">{node.name}</div>}
      <div className="bt-id">{node.id}</div>
      {view.stats && (
        <div className="bt-stats">
          {view.stats.visits}× · {view.stats.timeMs.toFixed(1)} ms
          {view.stats.failures > 0 && <span className="fail"> · {view.stats.failures} ✗</span>}
        </div>
      )}
      {view.stats && <div className="heat" style={{ width: `${Math.round(view.stats.heat * 100)}%` }} data-heat={view.stats.heat.toFixed(2)} />}
      {node.childIds.length > 0 && (
        <button
          className="collapse"
          title={data.collapsed ? `expand (${data.hidden} hidden)` : 'collapse the subtree'}
          onClick={(e) => {
            e.stopPropagation();
            data.onToggleCollapse(node.id);
          }}
        >
          {data.collapsed ? `+${data.hidden}` : '−'}
        </button>
      )}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

type HotEdgeData = Edge<{ store: CanvasStore }, 'hot'>;

/** An edge drawn bold on the running path (both ends on it), from the store like the nodes. */
const HotEdge = memo(function HotEdge(props: EdgeProps<HotEdgeData>) {
  const store = props.data?.store;
  const { source, target } = props;
  const subscribe = useCallback(
    (listener: () => void) => {
      if (!store) return () => undefined;
      const offSource = store.subscribe(source, listener);
      const offTarget = store.subscribe(target, listener);
      return () => {
        offSource();
        offTarget();
      };
    },
    [store, source, target],
  );
  const hot = useSyncExternalStore(subscribe, () => (store ? store.view(source).onPath && store.view(target).onPath : false));
  const [path] = getSmoothStepPath(props);
  return <BaseEdge path={path} className={hot ? 'edge-hot' : undefined} />;
});

const nodeTypes = { bt: BtNode };
const edgeTypes = { hot: HotEdge };

/** Below this zoom a node's text cannot be read. */
const MIN_READABLE_ZOOM = 0.35;
const READABLE_ZOOM = 0.75;

/**
 * Marks the canvas `data-zoom="far"` below the readable zoom: the boxes then leave out their text
 * (styles.css), a repaint of a box is a coloured rectangle, and a tick that changes hundreds of
 * them stays cheap (docs/performance.md, "Studio"). Re-renders only when the zoom crosses the line.
 */
function ZoomLevel({ target }: { target: RefObject<HTMLDivElement | null> }) {
  const far = useStore((s) => s.transform[2] < MIN_READABLE_ZOOM);
  useLayoutEffect(() => {
    target.current?.setAttribute('data-zoom', far ? 'far' : 'near');
  }, [far, target]);
  return null;
}


export interface TreeCanvasProps {
  nodes: readonly TreeNode[];
  statuses: Readonly<Record<string, Status>>;
  collapsed: ReadonlySet<string>;
  onToggleCollapse: (id: string) => void;
  /** Expand every subtree (`all`) or go back to the default collapse for the tree's size. */
  onCollapseAll?: (how: 'expand' | 'default') => void;
  onNodeClick?: (id: string) => void;
  pausedNodeId?: string;
  pausedWhen?: 'before' | 'after';
  breakpoints?: ReadonlySet<string>;
  selectedId?: string;
  stats?: ReadonlyMap<string, NodeOverlay>;
}

export function TreeCanvas(props: TreeCanvasProps) {
  const { nodes, statuses, collapsed, onToggleCollapse, onCollapseAll, onNodeClick, pausedNodeId, pausedWhen, breakpoints, selectedId, stats } =
    props;
  const [store] = useState(() => new CanvasStore());
  const layout = useMemo(() => {
    const t0 = performance.now();
    const result = layoutTree(nodes, collapsed);
    // Read by the browser test (docs/performance.md, "Studio").
    performance.measure('studio:layout', { start: t0, end: performance.now() });
    return result;
  }, [nodes, collapsed]);
  const path = useMemo(() => runningPath(nodes, statuses), [nodes, statuses]);
  // The boxes' looks go through the store: a status change re-renders only the boxes it changes.
  useLayoutEffect(() => {
    store.update(
      nodes.map((n) => n.id),
      (id) => ({
        status: statuses[id] ?? 'IDLE',
        onPath: path.has(id),
        paused: id === pausedNodeId ? (pausedWhen ?? 'before') : undefined,
        breakpoint: breakpoints?.has(id) ?? false,
        selected: id === selectedId,
        stats: stats?.get(id),
      }),
    );
  }, [store, nodes, statuses, path, pausedNodeId, pausedWhen, breakpoints, selectedId, stats]);
  const flowNodes = useMemo<BtFlowNode[]>(
    () =>
      layout.nodes.map((p) => ({
        id: p.node.id,
        type: 'bt',
        position: { x: p.x, y: p.y },
        // Fixed size: React Flow shows a node at once instead of hiding it until measured.
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        draggable: false,
        connectable: false,
        data: { node: p.node, hidden: p.hidden, collapsed: collapsed.has(p.node.id), store, onToggleCollapse },
      })),
    [layout, collapsed, store, onToggleCollapse],
  );
  const flowEdges = useMemo<HotEdgeData[]>(
    () => layout.edges.map((e) => ({ ...e, type: 'hot', data: { store } })),
    [layout, store],
  );
  // Fit the view when the tree itself changes (not on every status change).
  const flow = useRef<ReactFlowInstance<BtFlowNode, HotEdgeData> | null>(null);
  const root = layout.nodes[0];
  const frame = useCallback(
    async (instance: ReactFlowInstance<BtFlowNode, HotEdgeData> | null, fitAll: boolean) => {
      if (!instance) return;
      await instance.fitView({ padding: 0.1, maxZoom: 1, duration: 0 });
      // Too wide to read when fitted: start at the root, readable, and let the reader pan.
      if (!fitAll && instance.getZoom() < MIN_READABLE_ZOOM && root) {
        await instance.setCenter(root.x + NODE_WIDTH / 2, root.y + 260, { zoom: READABLE_ZOOM, duration: 0 });
      }
    },
    [root],
  );
  useEffect(() => {
    performance.mark('studio:tree-rendered');
    void frame(flow.current, false);
  }, [layout, frame]);
  // Callbacks through refs: the parent re-renders on every tick, React Flow must not.
  const handlers = useRef({ onNodeClick, onCollapseAll });
  handlers.current = { onNodeClick, onCollapseAll };
  const canCollapse = onCollapseAll !== undefined;
  const container = useRef<HTMLDivElement>(null);
  const shown = layout.nodes.length;
  const total = nodes.length;
  const canvas = useMemo(
    () => (
      <ReactFlow
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onInit={(instance) => {
          flow.current = instance;
          void frame(instance, false);
        }}
        onNodeClick={(_, n) => handlers.current.onNodeClick?.(n.id)}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        onlyRenderVisibleElements
        minZoom={0.02}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
      >
        <Panel position="top-left" className="canvas-tools">
          {canCollapse && (
            <>
              <button onClick={() => handlers.current.onCollapseAll?.('expand')}>Expand all</button>
              <button onClick={() => handlers.current.onCollapseAll?.('default')}>Collapse</button>
            </>
          )}
          <button onClick={() => void frame(flow.current, true)}>Fit all</button>
          <span className="muted small">
            {shown} of {total} nodes shown
          </span>
        </Panel>
        <ZoomLevel target={container} />
        <Background gap={24} />
        <Controls showInteractive={false} showFitView={false} />
        {shown <= 400 && <MiniMap pannable zoomable nodeColor="#cbd5e1" />}
      </ReactFlow>
    ),
    [flowNodes, flowEdges, frame, canCollapse, shown, total, store],
  );
  return (
    <div className="canvas" data-testid="tree-canvas" ref={container}>
      {canvas}
    </div>
  );
}
