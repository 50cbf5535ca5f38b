import {
  Background,
  Controls,
  type Edge,
  Handle,
  MiniMap,
  type Node,
  type NodeProps,
  Panel,
  Position,
  ReactFlow,
  type ReactFlowInstance,
} from '@xyflow/react';
import { memo, useCallback, useEffect, useMemo, useRef } from 'react';
import type { Status, TreeNode } from '../api/types';
import { layoutTree, NODE_HEIGHT, NODE_WIDTH } from '../lib/layout';
import { runningPath } from '../lib/running-path';

export interface NodeOverlay {
  visits: number;
  timeMs: number;
  failures: number;
}

interface BtNodeData extends Record<string, unknown> {
  node: TreeNode;
  status: Status;
  onPath: boolean;
  paused: boolean;
  breakpoint: boolean;
  selected: boolean;
  hidden: number;
  collapsed: boolean;
  stats?: NodeOverlay;
  onToggleCollapse: (id: string) => void;
}

type BtFlowNode = Node<BtNodeData, 'bt'>;

const BtNode = memo(function BtNode({ data }: NodeProps<BtFlowNode>) {
  const { node, status } = data;
  const classes = ['bt-node', `st-${status}`];
  if (data.onPath) classes.push('on-path');
  if (data.paused) classes.push('paused');
  if (data.selected) classes.push('selected');
  return (
    <div
      className={classes.join(' ')}
      data-node-id={node.id}
      data-status={status}
      data-breakpoint={data.breakpoint ? 'on' : 'off'}
      title={`${node.type}${node.name ? ` ${node.name}` : ''} [${node.id}]: ${status} — click to toggle a breakpoint`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      {data.breakpoint && <span className="bp-dot" aria-label="breakpoint" />}
      <div className="bt-type">{node.type}</div>
      {node.name && <div className="bt-name">{node.name}</div>}
      <div className="bt-id">{node.id}</div>
      {data.stats && (
        <div className="bt-stats">
          {data.stats.visits}× · {data.stats.timeMs.toFixed(1)} ms
          {data.stats.failures > 0 && <span className="fail"> · {data.stats.failures} ✗</span>}
        </div>
      )}
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

const nodeTypes = { bt: BtNode };

/** Below this zoom a node's text cannot be read. */
const MIN_READABLE_ZOOM = 0.35;
const READABLE_ZOOM = 0.75;

/** The same fills as the gateway's pictures (libs/viz STATUS_FILL). */
export const STATUS_FILL: Readonly<Record<Status, string>> = {
  IDLE: '#e5e7eb',
  RUNNING: '#fde047',
  SUCCESS: '#86efac',
  FAILURE: '#fca5a5',
};

export interface TreeCanvasProps {
  nodes: readonly TreeNode[];
  statuses: Readonly<Record<string, Status>>;
  collapsed: ReadonlySet<string>;
  onToggleCollapse: (id: string) => void;
  /** Expand every subtree (`all`) or go back to the default collapse for the tree's size. */
  onCollapseAll?: (how: 'expand' | 'default') => void;
  onNodeClick?: (id: string) => void;
  pausedNodeId?: string;
  breakpoints?: ReadonlySet<string>;
  selectedId?: string;
  stats?: ReadonlyMap<string, NodeOverlay>;
}

export function TreeCanvas(props: TreeCanvasProps) {
  const { nodes, statuses, collapsed, onToggleCollapse, onCollapseAll, onNodeClick, pausedNodeId, breakpoints, selectedId, stats } = props;
  const layout = useMemo(() => {
    const t0 = performance.now();
    const result = layoutTree(nodes, collapsed);
    // Read by the browser test (docs/performance.md, "Studio").
    performance.measure('studio:layout', { start: t0, end: performance.now() });
    return result;
  }, [nodes, collapsed]);
  const path = useMemo(() => runningPath(nodes, statuses), [nodes, statuses]);
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
        data: {
          node: p.node,
          status: statuses[p.node.id] ?? 'IDLE',
          onPath: path.has(p.node.id),
          paused: p.node.id === pausedNodeId,
          breakpoint: breakpoints?.has(p.node.id) ?? false,
          selected: p.node.id === selectedId,
          hidden: p.hidden,
          collapsed: collapsed.has(p.node.id),
          stats: stats?.get(p.node.id),
          onToggleCollapse,
        },
      })),
    [layout, statuses, path, pausedNodeId, breakpoints, selectedId, stats, collapsed, onToggleCollapse],
  );
  const flowEdges = useMemo<Edge[]>(
    () =>
      layout.edges.map((e) => ({
        ...e,
        type: 'smoothstep',
        className: path.has(e.source) && path.has(e.target) ? 'edge-hot' : undefined,
      })),
    [layout, path],
  );
  // Fit the view when the tree itself changes (not on every status change).
  const flow = useRef<ReactFlowInstance<BtFlowNode> | null>(null);
  const root = layout.nodes[0];
  const frame = useCallback(
    async (instance: ReactFlowInstance<BtFlowNode> | null, fitAll: boolean) => {
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
  return (
    <div className="canvas" data-testid="tree-canvas">
      <ReactFlow
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        onInit={(instance) => {
          flow.current = instance;
          void frame(instance, false);
        }}
        onNodeClick={(_, n) => onNodeClick?.(n.id)}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        onlyRenderVisibleElements
        minZoom={0.05}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
      >
        <Panel position="top-left" className="canvas-tools">
          {onCollapseAll && (
            <>
              <button onClick={() => onCollapseAll('expand')}>Expand all</button>
              <button onClick={() => onCollapseAll('default')}>Collapse</button>
            </>
          )}
          <button onClick={() => void frame(flow.current, true)}>Fit all</button>
          <span className="muted small">
            {layout.nodes.length} of {nodes.length} nodes shown
          </span>
        </Panel>
        <Background gap={24} />
        <Controls showInteractive={false} showFitView={false} />
        {layout.nodes.length <= 400 && <MiniMap pannable zoomable nodeColor={(n) => STATUS_FILL[(n.data as BtNodeData).status]} />}
      </ReactFlow>
    </div>
  );
}
