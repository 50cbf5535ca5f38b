import type { TreeNode } from '../api/types';
import { defaultCollapsed, descendantCounts, layoutTree, NODE_HEIGHT, NODE_WIDTH, visibleNodes } from './layout';

/** A tree of `width` children per node, `depth` levels below the root, ids as index paths. */
function tree(width: number, depth: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  const add = (id: string, d: number, parentId?: string) => {
    const childIds = d < depth ? Array.from({ length: width }, (_, i) => `${id}.${i}`) : [];
    nodes.push({ id, type: d < depth ? 'sequence' : 'action', parentId, childIds, depth: d });
    for (const c of childIds) add(c, d + 1, id);
  };
  add('0', 0);
  return nodes;
}

describe('layoutTree', () => {
  it('places children below their parent, in their order, without overlaps', () => {
    const nodes = tree(3, 2);
    const { nodes: placed, edges } = layoutTree(nodes, new Set());
    expect(placed).toHaveLength(13);
    expect(edges).toHaveLength(12);
    const at = new Map(placed.map((p) => [p.node.id, p]));
    for (const n of nodes) {
      const xs = n.childIds.map((c) => at.get(c)?.x ?? NaN);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
      for (const c of n.childIds) expect((at.get(c)?.y ?? 0) - (at.get(n.id)?.y ?? 0)).toBeGreaterThanOrEqual(NODE_HEIGHT);
    }
    for (const a of placed)
      for (const b of placed)
        if (a !== b && a.y === b.y) expect(Math.abs(a.x - b.x)).toBeGreaterThanOrEqual(NODE_WIDTH);
  });

  it('keeps the written order of many siblings (a wide sequence)', () => {
    const nodes = tree(40, 1);
    const { nodes: placed } = layoutTree(nodes, new Set());
    const order = placed.filter((p) => p.node.depth === 1).sort((a, b) => a.x - b.x).map((p) => p.node.id);
    expect(order).toEqual(nodes[0].childIds);
  });

  it('leaves collapsed subtrees out and says how many nodes each hides', () => {
    const nodes = tree(2, 3);
    const { nodes: placed, edges } = layoutTree(nodes, new Set(['0.0']));
    expect(placed.map((p) => p.node.id)).not.toContain('0.0.0');
    expect(placed.find((p) => p.node.id === '0.0')?.hidden).toBe(6);
    expect(edges.some((e) => e.source === '0.0')).toBe(false);
    expect(placed).toHaveLength(15 - 6);
  });

  it('lays out 1,000 nodes (10 x 10 x 10) in well under a second', () => {
    const nodes = tree(10, 3);
    expect(nodes).toHaveLength(1111);
    const t0 = performance.now();
    const { nodes: placed } = layoutTree(nodes, new Set());
    const ms = performance.now() - t0;
    expect(placed).toHaveLength(1111);
    console.log(`layoutTree: 1,111 nodes expanded in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000);
  });
});

describe('collapsing', () => {
  it('shows small trees whole and collapses big ones to a readable level', () => {
    expect(defaultCollapsed(tree(3, 3)).size).toBe(0);
    const big = tree(10, 3);
    const collapsed = defaultCollapsed(big);
    expect(collapsed).toEqual(new Set(big.filter((n) => n.depth === 2).map((n) => n.id)));
    expect(visibleNodes(big, collapsed)).toHaveLength(111);
  });

  it('counts descendants', () => {
    const counts = descendantCounts(tree(2, 2));
    expect(counts.get('0')).toBe(6);
    expect(counts.get('0.1')).toBe(2);
    expect(counts.get('0.1.0')).toBe(0);
  });
});
