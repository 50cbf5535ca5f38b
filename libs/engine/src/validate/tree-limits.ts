import type { ExprJson, NodeJson, TreeDocument, TreeJson } from '../model/json';

/**
 * How big a tree may get. Counted on the document, with every `(subtree ...)` expanded, before
 * anything is built: a few lines that double through nested subtrees would otherwise build (and
 * tick) millions of nodes, and a deep enough chain of subtrees overflows the stack.
 */
export interface TreeLimits {
  /** Nodes of one tree with its subtrees expanded (TREE_MAX_NODES). */
  maxNodes: number;
  /** Levels from the root to the deepest leaf, through subtrees (TREE_MAX_DEPTH). */
  maxDepth: number;
  /** Terms of one expression: literals, variables, calls, list and map items (EXPRESSION_MAX_TERMS). */
  maxExpressionTerms: number;
}

/**
 * maxNodes: a tick record names every node that changed, about 130 bytes each; 5,000 keeps the
 * record of a tick that changes them all inside NATS' default 1 MB max_payload.
 */
export const DEFAULT_TREE_LIMITS: Readonly<TreeLimits> = {
  maxNodes: 5_000,
  maxDepth: 200,
  maxExpressionTerms: 1_000,
};

export type LimitCode = 'TREE_TOO_LARGE' | 'NESTING_TOO_DEEP' | 'EXPRESSION_TOO_LARGE';

export interface LimitBreach {
  code: LimitCode;
  message: string;
  /** The tree over the limit (for an expression, the tree that contains it). */
  tree: TreeJson;
  /** JSON pointer inside `tree`: '' for the tree itself, `/root/children/0/args/1` for an expression. */
  path: string;
}

interface Size {
  nodes: number;
  depth: number;
}

interface SubtreeRef {
  name: string;
  /** Depth of the `(subtree ...)` node; the referenced root sits one level below it. */
  depth: number;
  /** How many times the node is built: the product of the `:parallel` copies around it. */
  copies: number;
}

/** One tree on its own: subtree nodes count as one node each. */
interface Local extends Size {
  refs: SubtreeRef[];
  /** Pointer (inside the tree) of the first expression over the limit, when they are counted. */
  expression?: { path: string };
}


/**
 * Measures trees of `doc` with their subtrees expanded (the same document first, then `library`,
 * as the builder resolves them) and returns what is over `limits`. Linear in the size of the
 * documents (each tree is walked once, sizes are memoised), without recursion; a subtree that
 * cannot be resolved, or that is recursive, counts as the one node that names it (both are
 * reported elsewhere).
 */
export function checkTreeLimits(
  doc: TreeDocument,
  limits: TreeLimits,
  opts: {
    library?: readonly TreeDocument[];
    /** Only these trees of `doc` (the builder's one); default every tree of `doc`. */
    trees?: readonly TreeJson[];
    /** Also count expression terms (the validator does; the builder trusts stored documents). */
    expressions?: boolean;
  } = {},
): LimitBreach[] {
  const sizer = new Sizer(doc, opts.library ?? [], limits, opts.expressions ?? false);
  const breaches: LimitBreach[] = [];
  for (const tree of opts.trees ?? doc.trees) {
    if (!isTree(tree)) continue;
    const local = sizer.local(tree);
    if (local.expression) {
      breaches.push({
        code: 'EXPRESSION_TOO_LARGE',
        message: `expression has more than ${limits.maxExpressionTerms} terms (EXPRESSION_MAX_TERMS)`,
        tree,
        path: local.expression.path,
      });
    }
    const size = sizer.size(tree);
    if (size.nodes > limits.maxNodes) {
      breaches.push({
        code: 'TREE_TOO_LARGE',
        message: `tree '${tree.name}' has ${formatCount(size.nodes)} nodes with its subtrees expanded (the limit is ${limits.maxNodes}: TREE_MAX_NODES)`,
        tree,
        path: '',
      });
    }
    if (size.depth > limits.maxDepth) {
      breaches.push({
        code: 'NESTING_TOO_DEEP',
        message: `tree '${tree.name}' is ${formatCount(size.depth)} levels deep with its subtrees expanded (the limit is ${limits.maxDepth}: TREE_MAX_DEPTH)`,
        tree,
        path: '',
      });
    }
  }
  return breaches;
}

/** Counts grow as powers of two in a subtree bomb: say "more than 2^53" rather than a float. */
function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : `more than ${Number.MAX_SAFE_INTEGER}`;
}

function isTree(tree: unknown): tree is TreeJson {
  return typeof tree === 'object' && tree !== null && typeof (tree as TreeJson).name === 'string';
}

function isNode(node: unknown): node is NodeJson {
  return typeof node === 'object' && node !== null && typeof (node as NodeJson).type === 'string';
}

function subtreeName(node: NodeJson): string | undefined {
  const target = Array.isArray(node.args) ? node.args[0] : undefined;
  if (typeof target === 'string') return target;
  if (typeof target === 'object' && target !== null && 'sym' in target) return String(target.sym);
  return undefined;
}

/** `(for-each ... :parallel N C)` builds its child N times. */
export function parallelCopies(node: NodeJson): number {
  if (node.type !== 'for-each') return 1;
  const kwargs = node.kwargs;
  const n = typeof kwargs === 'object' && kwargs !== null ? (kwargs as Record<string, unknown>).parallel : undefined;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

class Sizer {
  private readonly locals = new Map<TreeJson, Local>();
  private readonly sizes = new Map<TreeJson, Size>();
  /** The document each tree is defined in: its own trees shadow the library's. */
  private readonly home = new Map<TreeJson, TreeDocument>();
  private readonly names = new Map<TreeDocument, Map<string, TreeJson>>();

  constructor(
    private readonly doc: TreeDocument,
    private readonly library: readonly TreeDocument[],
    private readonly limits: TreeLimits,
    private readonly expressions: boolean,
  ) {}

  /** Size with subtrees expanded: trees are finished children first, on an explicit stack. */
  size(root: TreeJson): Size {
    const done = this.sizes.get(root);
    if (done) return done;
    const active = new Set<TreeJson>([root]);
    const stack: { tree: TreeJson; next: number }[] = [{ tree: root, next: 0 }];
    if (!this.home.has(root)) this.home.set(root, this.doc);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const local = this.local(top.tree);
      if (top.next < local.refs.length) {
        const target = this.resolve(local.refs[top.next++].name, top.tree);
        if (target && !this.sizes.has(target) && !active.has(target)) {
          active.add(target);
          stack.push({ tree: target, next: 0 });
        }
        continue;
      }
      let { nodes, depth } = local;
      for (const ref of local.refs) {
        const target = this.resolve(ref.name, top.tree);
        const sub = target && this.sizes.get(target);
        if (!sub) continue; // unknown or recursive: reported by the validator or the builder
        nodes += sub.nodes * ref.copies;
        depth = Math.max(depth, ref.depth + sub.depth);
      }
      this.sizes.set(top.tree, { nodes, depth });
      active.delete(top.tree);
      stack.pop();
    }
    return this.sizes.get(root) as Size;
  }

  /**
   * One walk over the tree's own nodes (and, if asked, its expressions). Parallel stacks and no
   * paths: builds run this on every tree, so it allocates nothing per node; the pointer of an
   * expression over the limit is found again only then.
   */
  local(tree: TreeJson): Local {
    const known = this.locals.get(tree);
    if (known) return known;
    const local: Local = { nodes: 0, depth: 0, refs: [] };
    const nodes: NodeJson[] = [];
    const depths: number[] = [];
    const copies: number[] = [];
    if (isNode(tree.root)) {
      nodes.push(tree.root);
      depths.push(1);
      copies.push(1);
    }
    while (nodes.length > 0) {
      const node = nodes.pop() as NodeJson;
      const depth = depths.pop() as number;
      const times = copies.pop() as number;
      local.nodes += times;
      if (depth > local.depth) local.depth = depth;
      if (node.type === 'subtree') {
        const name = subtreeName(node);
        if (name !== undefined) local.refs.push({ name, depth, copies: times });
      }
      const inner = times * parallelCopies(node);
      if (this.expressions && !local.expression) {
        const at = this.largeExpression(node);
        if (at !== undefined) local.expression = { path: `${pathTo(tree.root, node)}${at}` };
      }
      const children = node.children;
      if (!Array.isArray(children)) continue;
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i];
        if (isNode(child)) {
          nodes.push(child);
          depths.push(depth + 1);
          copies.push(inner);
        }
      }
    }
    this.locals.set(tree, local);
    return local;
  }

  /** The pointer step (`/args/1`, `/kwargs/when`) of the node's first expression over the limit. */
  private largeExpression(node: NodeJson): string | undefined {
    const max = this.limits.maxExpressionTerms;
    const args = Array.isArray(node.args) ? node.args : [];
    for (let i = 0; i < args.length; i++) {
      if (countTerms(args[i], max) > max) return `/args/${i}`;
    }
    const kwargs = node.kwargs;
    if (typeof kwargs !== 'object' || kwargs === null) return undefined;
    for (const key of Object.keys(kwargs)) {
      if (countTerms(kwargs[key], max) > max) {
        return `/kwargs/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      }
    }
    return undefined;
  }

  private resolve(name: string, from: TreeJson): TreeJson | undefined {
    const home = this.home.get(from) ?? this.doc;
    for (const d of [home, ...this.library]) {
      const found = this.byName(d).get(name);
      if (found) {
        if (!this.home.has(found)) this.home.set(found, d);
        return found;
      }
    }
    return undefined;
  }

  /** Trees of a document by name, the first of a name winning (as the builder's `find`). */
  private byName(doc: TreeDocument): Map<string, TreeJson> {
    let names = this.names.get(doc);
    if (!names) {
      names = new Map();
      const trees: unknown = doc.trees;
      for (const t of Array.isArray(trees) ? (trees as unknown[]) : []) {
        if (isTree(t) && !names.has(t.name)) names.set(t.name, t);
      }
      this.names.set(doc, names);
    }
    return names;
  }
}

/** JSON pointer of `target` below `root` (`/root/children/2/...`), searched without recursion. */
function pathTo(root: NodeJson, target: NodeJson): string {
  const stack: { node: NodeJson; path: string }[] = [{ node: root, path: '/root' }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: NodeJson; path: string };
    if (node === target) return path;
    const children = Array.isArray(node.children) ? node.children : [];
    children.forEach((child, i) => {
      if (isNode(child)) stack.push({ node: child, path: `${path}/children/${i}` });
    });
  }
  return '/root';
}

/** Terms of one expression; counting stops just past `max`, so a hostile one costs no more. */
export function countTerms(expr: ExprJson, max: number): number {
  if (typeof expr !== 'object' || expr === null) return 1;
  let seen = 1;
  const stack: unknown[] = [expr];
  while (stack.length > 0 && seen <= max) {
    const e = stack.pop() as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) continue;
    const items = Array.isArray(e.args)
      ? e.args
      : Array.isArray(e.list)
        ? e.list
        : typeof e.map === 'object' && e.map !== null
          ? Object.values(e.map)
          : undefined;
    if (items === undefined) continue;
    for (let i = 0; i < items.length && seen <= max; i++, seen++) stack.push(items[i]);
  }
  return seen;
}
