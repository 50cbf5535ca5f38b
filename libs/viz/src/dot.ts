import type { NodeInfo, Status } from '@canopy/engine';

/**
 * Fill colours by node status. Stable values (lowercase, as Graphviz writes them into SVG), so
 * clients and tests can recognise a status in rendered pictures.
 */
export const STATUS_FILL: Readonly<Record<Status, string>> = {
  IDLE: '#e5e7eb',
  RUNNING: '#fde047',
  SUCCESS: '#86efac',
  FAILURE: '#fca5a5',
};

/** Border and edge colours that go with each fill. */
export const STATUS_PEN: Readonly<Record<Status, string>> = {
  IDLE: '#6b7280',
  RUNNING: '#b45309',
  SUCCESS: '#15803d',
  FAILURE: '#b91c1c',
};

export interface DotOptions {
  /** Status per node id; a node without one is drawn IDLE. */
  statuses?: Readonly<Record<string, Status>>;
  /** Blackboard values drawn as a table next to the tree. */
  blackboard?: Readonly<Record<string, unknown>>;
  /** Caption above the graph. */
  title?: string;
}

/** Longest blackboard value text shown before it is cut with an ellipsis. */
export const MAX_VALUE_CHARS = 80;
/**
 * Graphviz sizes boxes from its own metrics of the named font (a list is not understood). Verdana
 * is on most desktops, and DejaVu Sans (resvg's fallback here) has nearly the same widths.
 */
const FONT = 'Verdana';
const RUNNING_PEN_WIDTH = 3;

/**
 * A top-down Graphviz digraph of a tree: one rounded box per node (type, name, id), filled by
 * status, and the running path (root to every RUNNING node with no RUNNING child) drawn with
 * thick edges and borders. DOT node names are `n<index>` (free of any escaping question); the
 * tree's node id is in the label, the tooltip and the SVG id `node:<id>` of the node's `<g>`.
 */
export function toDot(nodes: readonly NodeInfo[], opts: DotOptions = {}): string {
  const statuses = opts.statuses ?? {};
  const statusOf = (id: string): Status => statuses[id] ?? 'IDLE';
  const onPath = runningPath(nodes, statusOf);
  const names = new Map(nodes.map((n, i) => [n.id, `n${i}`]));

  const lines: string[] = ['digraph "canopy" {'];
  const graph = ['rankdir=TB', 'nodesep=0.3', 'ranksep=0.45', `fontname=${quote(FONT)}`];
  if (opts.title !== undefined)
    graph.push(`label=${quote(opts.title)}`, 'labelloc=t', 'fontsize=16');
  lines.push(`  graph [${graph.join(', ')}];`);
  lines.push(
    `  node [shape=box, style="rounded,filled", fontname=${quote(FONT)}, fontsize=11, margin="0.15,0.06"];`,
  );
  lines.push('  edge [arrowsize=0.6];');

  for (const node of nodes) {
    const status = statusOf(node.id);
    const attrs = [
      `id=${quote(`node:${node.id}`)}`,
      `label=<${nodeLabel(node, status)}>`,
      `fillcolor=${quote(STATUS_FILL[status])}`,
      `color=${quote(STATUS_PEN[status])}`,
      `tooltip=${quote(`${node.type} ${node.id}: ${status}`)}`,
    ];
    if (onPath.has(node.id)) attrs.push(`penwidth=${RUNNING_PEN_WIDTH}`);
    lines.push(`  ${names.get(node.id)} [${attrs.join(', ')}];`);
  }
  for (const node of nodes) {
    for (const childId of node.childIds) {
      const child = names.get(childId);
      if (child === undefined) continue;
      const hot = onPath.has(node.id) && onPath.has(childId);
      const attrs = hot
        ? [`color=${quote(STATUS_PEN.RUNNING)}`, `penwidth=${RUNNING_PEN_WIDTH}`, 'style=bold']
        : [`color=${quote(STATUS_PEN.IDLE)}`];
      lines.push(`  ${names.get(node.id)} -> ${child} [${attrs.join(', ')}];`);
    }
  }
  if (opts.blackboard !== undefined) {
    const root = nodes.find((n) => n.parentId === undefined);
    lines.push(blackboardNode(opts.blackboard, root && names.get(root.id)));
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * Ids of the nodes from the root down to each RUNNING node that has no RUNNING child (the
 * running leaves). A RUNNING node under a parent that is not RUNNING (stale data) still gets its
 * own path drawn, up to the root.
 */
export function runningPath(
  nodes: readonly NodeInfo[],
  statusOf: (id: string) => Status,
): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const path = new Set<string>();
  for (const node of nodes) {
    if (statusOf(node.id) !== 'RUNNING') continue;
    if (node.childIds.some((c) => statusOf(c) === 'RUNNING')) continue;
    for (let at: NodeInfo | undefined = node; at && !path.has(at.id);) {
      path.add(at.id);
      at = at.parentId === undefined ? undefined : byId.get(at.parentId);
    }
  }
  return path;
}

function nodeLabel(node: NodeInfo, status: Status): string {
  const parts = [`<b>${html(node.type)}</b>`];
  if (node.name !== undefined && node.name !== '') parts.push(html(node.name));
  parts.push(`<font point-size="9" color="#374151">${html(node.id)}</font>`);
  if (status !== 'IDLE') parts.push(`<font point-size="8">${status}</font>`);
  return parts.join('<br/>');
}

function blackboardNode(
  values: Readonly<Record<string, unknown>>,
  rootName: string | undefined,
): string {
  const keys = Object.keys(values).sort();
  const rows = keys.map(
    (key) =>
      `<tr><td align="left">${html(key)}</td><td align="left">${html(valueText(values[key]))}</td></tr>`,
  );
  if (rows.length === 0) rows.push('<tr><td colspan="2"><i>empty</i></td></tr>');
  const table =
    '<table border="0" cellborder="1" cellspacing="0" cellpadding="4" bgcolor="#ffffff">' +
    '<tr><td colspan="2" bgcolor="#dbeafe"><b>blackboard</b></td></tr>' +
    rows.join('') +
    '</table>';
  // Same rank as the root, so the table sits beside the tree instead of under it.
  const rank = rootName ? `\n  { rank=same; ${rootName}; blackboard; }` : '';
  return `  blackboard [id="blackboard", shape=plaintext, style="", label=<${table}>];${rank}`;
}

/** JSON of a value, cut to MAX_VALUE_CHARS; undefined (a deleted key) reads `undefined`. */
function valueText(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/**
 * A DOT double-quoted string. Backslashes are doubled so escape sequences such as `\N` or `\l`
 * (which Graphviz expands in labels and ids) stay literal; line breaks become spaces.
 */
export function quote(text: string): string {
  return `"${text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\r\n]+/g, ' ')}"`;
}

/**
 * Text inside an HTML-like label: XML-escaped, control characters dropped (Graphviz rejects
 * them), so a name cannot open a tag or an entity.
 */
export function html(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
      .replace(/[\r\n\t]+/g, ' ')
  );
}
