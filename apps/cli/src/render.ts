import type { BehaviorTree, NodeInfo, Status, TickRecord } from '@canopy/engine';

const COLORS: Record<Status, string> = {
  IDLE: '\x1b[2m',
  RUNNING: '\x1b[33m',
  SUCCESS: '\x1b[32m',
  FAILURE: '\x1b[31m',
};
const RESET = '\x1b[0m';
const GLYPH: Record<Status, string> = { IDLE: '·', RUNNING: '▶', SUCCESS: '✓', FAILURE: '✗' };

export interface TreeMarks {
  /** Statuses to show instead of the tree's own (a paused tick's, which the tree does not hold). */
  statuses?: Record<string, Status>;
  /** A `=> ` gutter on this node's line (the debugger's paused node), and `note` after it. */
  marked?: { nodeId: string; note: string };
}

/** The tree as an outline with each node's status, readable in a terminal. */
export function renderTree(tree: BehaviorTree, color: boolean, marks?: TreeMarks): string {
  const byId = new Map(tree.nodes.map((n) => [n.id, n]));
  const statuses = marks?.statuses ?? tree.statuses();
  const lines: string[] = [];
  const walk = (node: NodeInfo, prefix: string, last: boolean, root: boolean) => {
    const status = statuses[node.id] ?? 'IDLE';
    const label = `${GLYPH[status]} ${nodeLabel(node)} [${node.id}] ${status}`;
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    const here = marks?.marked?.nodeId === node.id;
    // The gutter is there whenever marks are asked for, so the outline does not shift as the mark moves.
    const gutter = marks === undefined ? '' : here ? '=> ' : '   ';
    const note = here ? `  (${marks?.marked?.note})` : '';
    lines.push(
      gutter + prefix + branch + (color ? `${COLORS[status]}${label}${RESET}` : label) + note,
    );
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

/** `action "fetch"`: the node's type and its label when it has one. */
export function nodeLabel(node: NodeInfo): string {
  return `${node.type}${node.name ? ` "${node.name}"` : ''}`;
}

/** A tick's logs, progress, errors and stuck nodes (`:stuck-after`), one indented line each. */
export function renderTickEvents(record: TickRecord): string[] {
  const lines: string[] = [];
  for (const log of record.logs)
    lines.push(
      `  log [${log.nodeId}] ${log.message} ${log.values.map((v) => JSON.stringify(v)).join(' ')}`.trimEnd(),
    );
  for (const p of record.progress) lines.push(`  progress [${p.nodeId}] ${p.step} ${p.percent}%`);
  for (const e of record.errors) lines.push(`  error [${e.nodeId}] ${e.code}: ${e.message}`);
  for (const s of record.stuck ?? []) {
    lines.push(
      `  stuck [${s.nodeId}] running ${s.runningForMs} ms since tick ${s.runningSinceTick} (budget ${s.budgetMs} ms)`,
    );
  }
  return lines;
}
