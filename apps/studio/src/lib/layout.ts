// The tree laid out top-down by dagre. Collapsed subtrees are left out of the layout (their root
// shows how many nodes it hides), which is what keeps a 1,000-node tree readable.
import { Graph, layout as dagreLayout } from '@dagrejs/dagre';
import type { TreeNode } from '../api/types';

export const NODE_WIDTH = 184;
export const NODE_HEIGHT = 64;

export interface PlacedNode {
  node: TreeNode;
  /** Top-left corner (React Flow's convention). */
  x: number;
  y: number;
  /** Descendants hidden under this node because it is collapsed (0 when expanded). */
  hidden: number;
}

export interface TreeLayout {
  nodes: PlacedNode[];
  edges: { id: string; source: string; target: string }[];
}

export function byId(nodes: readonly TreeNode[]): Map<string, TreeNode> {
  return new Map(nodes.map((n) => [n.id, n]));
}

/** Number of descendants of every node. */
export function descendantCounts(nodes: readonly TreeNode[]): Map<string, number> {
  const index = byId(nodes);
  const counts = new Map<string, number>();
  const count = (id: string): number => {
    const known = counts.get(id);
    if (known !== undefined) return known;
    const node = index.get(id);
    const n = (node?.childIds ?? []).reduce((sum, c) => sum + 1 + count(c), 0);
    counts.set(id, n);
    return n;
  };
  for (const n of nodes) count(n.id);
  return counts;
}

/** The nodes a reader sees: every node not below a collapsed one (tree order kept). */
export function visibleNodes(nodes: readonly TreeNode[], collapsed: ReadonlySet<string>): TreeNode[] {
  const index = byId(nodes);
  const hiddenUnder = (n: TreeNode): boolean => {
    for (let p = n.parentId; p !== undefined; p = index.get(p)?.parentId) {
      if (collapsed.has(p)) return true;
    }
    return false;
  };
  return nodes.filter((n) => !hiddenUnder(n));
}

/**
 * Collapsed by default for a big tree: every node at `depth` with children, so at most a few
 * hundred boxes show at first; small trees show whole.
 */
export function defaultCollapsed(nodes: readonly TreeNode[], maxVisible = 300): Set<string> {
  if (nodes.length <= maxVisible) return new Set();
  for (let depth = 1; ; depth++) {
    const shown = nodes.filter((n) => n.depth <= depth).length;
    const next = nodes.filter((n) => n.depth <= depth + 1).length;
    if (next > maxVisible || shown === nodes.length) {
      return new Set(nodes.filter((n) => n.depth === depth && n.childIds.length > 0).map((n) => n.id));
    }
  }
}

export function layoutTree(nodes: readonly TreeNode[], collapsed: ReadonlySet<string>): TreeLayout {
  const shown = visibleNodes(nodes, collapsed);
  const counts = descendantCounts(nodes);
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 56, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const visible = new Set(shown.map((n) => n.id));
  for (const n of shown) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges: TreeLayout['edges'] = [];
  for (const n of shown) {
    if (collapsed.has(n.id)) continue;
    for (const c of n.childIds) {
      if (!visible.has(c)) continue;
      g.setEdge(n.id, c);
      edges.push({ id: `${n.id}->${c}`, source: n.id, target: c });
    }
  }
  dagreLayout(g);
  return {
    nodes: shown.map((node) => {
      const p = g.node(node.id) as { x: number; y: number };
      return {
        node,
        x: p.x - NODE_WIDTH / 2,
        y: p.y - NODE_HEIGHT / 2,
        hidden: collapsed.has(node.id) ? (counts.get(node.id) ?? 0) : 0,
      };
    }),
    edges,
  };
}
