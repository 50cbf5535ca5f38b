import type { Status, TreeNode } from '../api/types';

/**
 * The running path: every RUNNING node whose parent chain up to the root is RUNNING too (as
 * libs/viz draws it: root to each RUNNING node without a RUNNING child).
 */
export function runningPath(nodes: readonly TreeNode[], statuses: Readonly<Record<string, Status>>): Set<string> {
  const path = new Set<string>();
  const root = nodes.find((n) => n.parentId === undefined);
  if (!root || statuses[root.id] !== 'RUNNING') return path;
  const index = new Map(nodes.map((n) => [n.id, n]));
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop() as TreeNode;
    path.add(n.id);
    for (const c of n.childIds) {
      const child = index.get(c);
      if (child && statuses[c] === 'RUNNING') stack.push(child);
    }
  }
  return path;
}

/** The chain from the root to `id` (both included), for highlighting the paused node's path. */
export function pathTo(nodes: readonly TreeNode[], id: string): Set<string> {
  const index = new Map(nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  for (let n = index.get(id); n; n = n.parentId === undefined ? undefined : index.get(n.parentId)) out.add(n.id);
  return out;
}
