import type { BehaviorTree, NodeInfo, Status } from '@canopy/engine';

const COLORS: Record<Status, string> = {
  IDLE: '\x1b[2m',
  RUNNING: '\x1b[33m',
  SUCCESS: '\x1b[32m',
  FAILURE: '\x1b[31m',
};
const RESET = '\x1b[0m';
const GLYPH: Record<Status, string> = { IDLE: '·', RUNNING: '▶', SUCCESS: '✓', FAILURE: '✗' };

/** The tree as an outline with each node's status, readable in a terminal. */
export function renderTree(tree: BehaviorTree, color: boolean): string {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const statuses = tree.statuses();
  const lines: string[] = [];
  const walk = (node: NodeInfo, prefix: string, last: boolean, root: boolean) => {
    const status = statuses[node.id] ?? 'IDLE';
    const label = `${GLYPH[status]} ${node.type}${node.name ? ` "${node.name}"` : ''} [${node.id}] ${status}`;
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    lines.push(prefix + branch + (color ? `${COLORS[status]}${label}${RESET}` : label));
    const childPrefix = root ? '' : prefix + (last ? '   ' : '│  ');
    node.childIds.forEach((id, i) => {
      const child = byId.get(id);
      if (child) walk(child, childPrefix, i === node.childIds.length - 1, false);
    });
  };
  const root = tree.nodes[0];
  if (root) walk(root, '', true, true);
  return lines.join('\n');
}
