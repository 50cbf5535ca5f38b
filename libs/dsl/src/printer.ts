import {
  quoteString,
  type ExprJson,
  type NodeJson,
  type TreeDocument,
  type TreeJson,
} from '@canopy/engine';
import { formatNumber } from './syntax';

/** Lines longer than this are broken (expressions themselves are never broken). */
export const LINE_WIDTH = 100;
const INDENT = '  ';

/**
 * Canonical text of a document. Rules:
 * - trees are separated by a blank line; trailing comments follow the last tree after a blank line;
 * - a comment is printed above its tree or node, at its indentation, as `; text`; the comments of
 *   the first tree are the file's header and are followed by a blank line;
 * - a node without children is one line if that line fits in LINE_WIDTH columns;
 * - otherwise its head is `(type positional...` followed by `:id`, `:name` and its keyword
 *   arguments (source order), all on one line if it fits, else each keyword pair on its own line;
 *   then each child on its own line, indented two spaces;
 * - closing parens are stacked at the end of the last line.
 */
export function print(document: TreeDocument): string {
  const blocks = document.trees.map((tree, i) => printTree(tree, i === 0));
  if (document.trailingComments?.length)
    blocks.push(document.trailingComments.map(comment).join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

function printTree(tree: TreeJson, first: boolean): string {
  const head = `(tree ${quoteString(tree.name)}${tree.main === undefined ? '' : ` :main ${tree.main}`}`;
  const comments = (tree.comments ?? []).map(comment);
  // The first tree's comments are the file's header: set apart by a blank line.
  if (first && comments.length) comments.push('');
  const lines = [...comments, head, ...printNode(tree.root, 1)];
  lines[lines.length - 1] += ')';
  return lines.join('\n');
}

function printNode(node: NodeJson, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const lines = (node.comments ?? []).map((c) => pad + comment(c));
  const opening = `(${[node.type, ...(node.args ?? []).map(printExpr)].join(' ')}`;
  const pairs: string[] = [];
  if (node.id !== undefined) pairs.push(`:id ${quoteString(node.id)}`);
  if (node.name !== undefined) pairs.push(`:name ${quoteString(node.name)}`);
  const budget = node['stuck-after'];
  if (budget !== undefined) pairs.push(`:stuck-after ${printExpr(budget)}`);
  for (const key of Object.keys(node.kwargs ?? {}))
    pairs.push(`:${key} ${printExpr((node.kwargs ?? {})[key])}`);
  const head = [opening, ...pairs].join(' ');
  const children = node.children ?? [];
  if (children.length === 0 && pad.length + head.length + 1 <= LINE_WIDTH) {
    lines.push(`${pad}${head})`);
    return lines;
  }
  if (pad.length + head.length <= LINE_WIDTH) {
    lines.push(pad + head);
  } else {
    lines.push(pad + opening, ...pairs.map((pair) => pad + INDENT + pair));
  }
  for (const child of children) lines.push(...printNode(child, depth + 1));
  lines[lines.length - 1] += ')';
  return lines;
}

/** `; text`, with no space added before text that starts with `;` (so `;;` headings stay). */
function comment(text: string): string {
  if (text === '') return ';';
  return text.startsWith(';') ? `;${text}` : `; ${text}`;
}

export function printExpr(expr: ExprJson): string {
  if (expr === null) return 'nil';
  if (typeof expr === 'number') return formatNumber(expr);
  if (typeof expr === 'string') return quoteString(expr);
  if (typeof expr === 'boolean') return String(expr);
  if ('$' in expr) return `$${expr.$}`;
  if ('sym' in expr) return expr.sym;
  if ('kw' in expr) return `:${expr.kw}`;
  if ('call' in expr) return `(${[expr.call, ...expr.args.map(printExpr)].join(' ')})`;
  if ('list' in expr) return `[${expr.list.map(printExpr).join(' ')}]`;
  const map = expr.map;
  return `{${Object.keys(map)
    .map((key) => `:${key} ${printExpr(map[key])}`)
    .join(' ')}}`;
}
