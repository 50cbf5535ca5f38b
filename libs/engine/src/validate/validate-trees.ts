import { PATH_ID_PATTERN } from '../model/catalog';
import type { NodeJson, TreeDocument } from '../model/json';
import { jsonPointer, treeIssue, type TreeIssue, type TreeIssueCode } from './issue';
import { NodeChecker, type IssueSink } from './node-checker';
import { prefixedIdCollisions } from './prefixed-ids';
import { parallelCopies } from './tree-limits';
import { RULE_BY_TYPE, type NodeRule } from './rules';
import { suggest } from './suggest';
import { checkTreeLimits, DEFAULT_TREE_LIMITS, type TreeLimits } from './tree-limits';

export interface ValidateOptions {
  /** Trees of other documents that `(subtree "name")` may reference. */
  knownTrees?: readonly string[];
  /** Do not report references to trees that are neither in the document nor known. */
  lenientSubtrees?: boolean;
  /** Placeholders for parts that could not be read; skipped, their errors are already reported. */
  broken?: WeakSet<object>;
  /** How to name another place of the document in a message (default: its JSON pointer). */
  where?: (path: string) => string;
  /** Size, depth and expression limits (subtrees of this document expanded); default DEFAULT_TREE_LIMITS. */
  limits?: TreeLimits;
}

/**
 * Every problem of a canonical tree document (already of the TreeDocument shape), each at its
 * JSON pointer: the node rules of the catalogue, expressions, ids, tree names and subtree
 * references. A document without issues builds (given the trees named in `knownTrees`).
 */
export function validateTrees(document: TreeDocument, options: ValidateOptions = {}): TreeIssue[] {
  return new TreeValidator(options).run(document);
}

const PATH_LIKE_ID = new RegExp(PATH_ID_PATTERN);
const NO_CHILDREN: readonly NodeJson[] = [];

interface SubtreeRef {
  from: number;
  name: string;
  path: string;
}

class TreeValidator implements IssueSink {
  private readonly check: NodeChecker;
  private readonly issues: TreeIssue[] = [];
  private readonly refs: SubtreeRef[] = [];
  private ids = new Map<string, string>();
  /** An explicit id contains '/': only then can ids of subtree instances collide. */
  private slashIds = false;
  private treeName = '';
  private treeIndex = 0;
  private readonly where: (path: string) => string;

  constructor(private readonly options: ValidateOptions) {
    this.check = new NodeChecker(true, this, options.broken);
    this.where = options.where ?? ((path) => path);
  }

  run(document: TreeDocument): TreeIssue[] {
    const local = new Map<string, number>();
    let mainPath: string | undefined;
    document.trees.forEach((tree, index) => {
      const path = jsonPointer('/trees', index);
      if (!this.check.isBroken(tree)) {
        const namePath = `${path}/name`;
        const first = local.get(tree.name);
        if (tree.name === '') {
          this.issueAt('BAD_TREE', 'tree name must not be empty', namePath);
        } else if (first !== undefined) {
          const at = this.where(jsonPointer('/trees', first));
          const message = `duplicate tree name '${tree.name}' (first defined at ${at})`;
          this.issueAt('DUPLICATE_TREE', message, namePath);
        } else {
          local.set(tree.name, index);
        }
      }
      if (tree.main === true) {
        if (mainPath === undefined) mainPath = path;
        else {
          const message = `only one tree may be :main true (another one is at ${this.where(mainPath)})`;
          this.issueAt('MULTIPLE_MAIN', message, `${path}/main`);
        }
      }
      this.ids = new Map();
      this.treeName = tree.name;
      this.treeIndex = index;
      this.check.depth = 0;
      this.check.enter('trees', index);
      this.check.enter('root');
      this.node(tree.root, undefined);
    });
    this.check.depth = 0;
    if (!this.options.lenientSubtrees) this.checkSubtrees(local);
    this.checkRecursion(document, local);
    this.checkLimits(document);
    if (this.slashIds) this.checkPrefixedIds(document, local);
    return this.issues;
  }

  private node(node: NodeJson, parent: NodeRule | undefined): void {
    if (this.check.isBroken(node)) return;
    const rule = RULE_BY_TYPE.get(node.type);
    const children = node.children ?? NO_CHILDREN;
    if (!rule) {
      // Without a rule the kinds of its arguments are unknown; checking them would only add noise.
      this.check.unknownNode(node.type);
    } else {
      if (parent !== undefined) this.check.childType(parent, node);
      this.check.checkNode(node, rule, parent);
      const name = node.args?.[0];
      if (rule.type === 'subtree' && typeof name === 'string')
        this.refs.push({ from: this.treeIndex, name, path: this.check.path('args', 0) });
    }
    this.identity(node);
    for (let i = 0; i < children.length; i++) {
      const depth = this.check.enter('children', i);
      this.node(children[i], rule);
      this.check.depth = depth;
    }
  }

  private identity(node: NodeJson): void {
    if (node.id === undefined) return;
    if (node.id === '') {
      this.check.issue('BAD_ARGUMENT', ':id must not be empty', undefined, 'id');
    } else if (PATH_LIKE_ID.test(node.id)) {
      // Implicit ids are child-index paths; an explicit one of that shape could collide.
      const message = `:id '${node.id}' looks like a path id (such as "0.2"); choose a name`;
      this.check.issue('BAD_ARGUMENT', message, undefined, 'id');
    } else {
      if (!this.slashIds && node.id.includes('/')) this.slashIds = true;
      const first = this.ids.get(node.id);
      if (first !== undefined) {
        const message = `duplicate id '${node.id}' in tree '${this.treeName}' (first used at ${this.where(first)})`;
        this.check.issue('DUPLICATE_ID', message, undefined, 'id');
      } else {
        this.ids.set(node.id, this.check.path());
      }
    }
  }

  private checkSubtrees(local: ReadonlyMap<string, number>): void {
    const known = new Set(this.options.knownTrees);
    for (const ref of this.refs) {
      if (local.has(ref.name) || known.has(ref.name)) continue;
      const near = suggest(ref.name, [...local.keys(), ...known]);
      const hint = near ? `did you mean '${near}'?` : undefined;
      this.issueAt('UNKNOWN_SUBTREE', `unknown subtree '${ref.name}'`, ref.path, hint);
    }
  }

  /** Depth-first over the document's own trees; a reference back into the current path is a cycle. */
  private checkRecursion(document: TreeDocument, local: ReadonlyMap<string, number>): void {
    const outgoing = document.trees.map(() => [] as SubtreeRef[]);
    for (const ref of this.refs) {
      if (local.has(ref.name)) outgoing[ref.from].push(ref);
    }
    const state = document.trees.map(() => 'new' as 'new' | 'active' | 'done');
    for (let start = 0; start < document.trees.length; start++) {
      if (state[start] !== 'new') continue;
      const stack: { tree: number; next: number }[] = [{ tree: start, next: 0 }];
      state[start] = 'active';
      while (stack.length) {
        const top = stack[stack.length - 1];
        const ref = outgoing[top.tree][top.next++];
        if (!ref) {
          state[top.tree] = 'done';
          stack.pop();
          continue;
        }
        const target = local.get(ref.name) as number;
        if (state[target] === 'active') {
          const from = stack.findIndex((frame) => frame.tree === target);
          const cycle = [
            ...stack.slice(from).map((frame) => document.trees[frame.tree].name),
            ref.name,
          ];
          const message = `recursive subtree: ${cycle.map((name) => `'${name}'`).join(' -> ')}`;
          this.issueAt('RECURSIVE_SUBTREE', message, ref.path);
        } else if (state[target] === 'new') {
          state[target] = 'active';
          stack.push({ tree: target, next: 0 });
        }
      }
    }
  }

  /** Trees too large or too deep once this document's subtrees are expanded; huge expressions. */
  private checkLimits(document: TreeDocument): void {
    const limits = this.options.limits ?? DEFAULT_TREE_LIMITS;
    for (const breach of checkTreeLimits(document, limits, { expressions: true })) {
      const path = `${jsonPointer('/trees', document.trees.indexOf(breach.tree))}${breach.path}`;
      this.issueAt(breach.code, breach.message, path);
    }
  }

  /** Explicit ids that collide once prefixed inside subtree instances (trees of this document only). */
  private checkPrefixedIds(document: TreeDocument, local: ReadonlyMap<string, number>): void {
    const outgoing = document.trees.map(() => [] as number[]);
    let instances = false;
    for (const ref of this.refs) {
      const target = local.get(ref.name);
      if (target !== undefined) {
        outgoing[ref.from].push(target);
        instances = true;
      }
    }
    // Without an instance of a tree of this document (or copies of a `for-each :parallel`), ids
    // are those of one tree, checked already.
    if (!instances && !document.trees.some((t) => hasCopies(t.root))) return;
    const collisions = prefixedIdCollisions(document, local, outgoing, (value) =>
      this.check.isBroken(value),
    );
    for (const c of collisions) {
      const message = `duplicate id '${c.id}' when tree '${c.tree}' is built (first used at ${this.where(c.first)}; an :id inside a subtree becomes '<subtree node id>/<id>')`;
      this.issueAt('DUPLICATE_ID', message, c.path);
    }
  }

  add(issue: TreeIssue): void {
    this.issues.push(issue);
  }

  /** A problem of the document, at `path`. */
  private issueAt(code: TreeIssueCode, message: string, path: string, hint?: string): void {
    this.add(treeIssue(code, message, path, hint));
  }
}

/** Whether a `for-each :parallel N` (N > 1) is under `root`: its copies are instances too. */
function hasCopies(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || typeof (node as NodeJson).type !== 'string') continue;
    if (parallelCopies(node as NodeJson) > 1) return true;
    const children = (node as NodeJson).children;
    if (Array.isArray(children)) stack.push(...children);
  }
  return false;
}
