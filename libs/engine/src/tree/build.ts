import { parseKey, type KeyRef } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import { MemoryBlackboard } from '../blackboard/memory-blackboard';
import { systemClock } from '../clock';
import { BuildError, type BuildErrorCode } from '../errors';
import { compileExpr, constantOf } from '../expr/compile';
import { ExprCompileError } from '../expr/expr-error';
import type { NodeSpec } from '../model/catalog';
import type { Evaluator } from '../expr/env';
import type { ExprJson, NodeJson, TreeDocument, TreeJson } from '../model/json';
import type { BuildOptions, Clock, WatchdogOptions } from '../model/runtime';
import { Recorder } from '../record/recorder';
import type { TreeIssue, TreeIssueCode } from '../validate/issue';
import { NodeChecker, type IssueSink } from '../validate/node-checker';
import { instanceId } from '../validate/prefixed-ids';
import { checkTreeLimits, DEFAULT_TREE_LIMITS, type TreeLimits } from '../validate/tree-limits';
import type { NodeRule } from '../validate/rules';
import { BehaviorTree } from './behavior-tree';
import { BUILD_SPEC_BY_TYPE } from './build-spec';
import { ParallelForEachNode } from '../nodes/decorators/for-each';
import type { BtNode } from './node';
import { ownsScope, type NodeDef } from './node-def';
import { Runtime } from './runtime';

/** What stays the same for every node of one tree instance: it changes at subtree boundaries. */
interface Frame {
  readonly doc: TreeDocument;
  readonly tree: TreeJson;
  /**
   * Where this tree's root path ends: a node's index path inside the defining tree (for error
   * messages) is `'0' + path.slice(base)`, so it is only built when something is wrong.
   */
  readonly base: number;
  /** Id of the enclosing subtree node: explicit ids inside an instance are prefixed with it. */
  readonly prefix: string | null;
  /** Trees being expanded, outermost first: a repeat is a recursive subtree. */
  readonly stack: readonly TreeJson[];
}

function whereOf(frame: Frame, path: string): string {
  return `${frame.tree.name}:0${path.slice(frame.base)}`;
}

function nodeError(
  frame: Frame,
  path: string,
  json: NodeJson,
  id: string,
  code: BuildErrorCode,
  message: string,
): BuildError {
  const where = whereOf(frame, path);
  return new BuildError(code, `${where} (${json.type}, id '${id}'): ${message}`, id, where);
}

/**
 * What a factory gets. One object per node with its methods on the prototype: closures per
 * node (and error context strings built up front) were most of a build's time.
 */
class Def implements NodeDef {
  constructor(
    readonly id: string,
    readonly rt: Runtime,
    readonly spec: NodeSpec,
    readonly json: NodeJson,
    readonly scope: LocalScope | null,
    readonly childCount: number,
    private readonly frame: Frame,
    private readonly path: string,
  ) {}

  arg(i: number): ExprJson | undefined {
    return this.json.args?.[i];
  }

  kw(name: string): ExprJson | undefined {
    const kwargs = this.json.kwargs;
    return kwargs != null && Object.hasOwn(kwargs, name) ? kwargs[name] : undefined;
  }

  kwargs(): [string, ExprJson][] {
    return Object.entries(this.json.kwargs ?? {});
  }

  expr(e: ExprJson): Evaluator {
    try {
      return compileExpr(e, this.scope);
    } catch (err) {
      if (err instanceof ExprCompileError) return this.fail(err.code, err.message);
      throw err;
    }
  }

  text(e: ExprJson): string {
    return typeof e === 'string'
      ? e
      : typeof e === 'object' && e !== null && 'sym' in e
        ? e.sym
        : this.fail('BAD_ARGUMENT', 'expected a name');
  }

  key(e: ExprJson): KeyRef {
    return (
      (typeof e === 'string' ? parseKey(e) : undefined) ??
      this.fail('BAD_ARGUMENT', `malformed key ${JSON.stringify(e)}`)
    );
  }

  literal(e: ExprJson): { value: unknown } | undefined {
    return constantOf(e, this.scope);
  }

  fail(code: BuildErrorCode, message: string): never {
    throw nodeError(this.frame, this.path, this.json, this.id, code, message);
  }
}

/** The builder's codes are coarser than the validator's. */
const BUILD_CODES: Readonly<Record<TreeIssueCode, BuildErrorCode>> = {
  UNKNOWN_NODE: 'UNKNOWN_NODE_TYPE',
  CHILD_COUNT: 'BAD_ARITY',
  ARG_COUNT: 'BAD_ARGUMENT',
  MISSING_ARGUMENT: 'BAD_ARGUMENT',
  UNKNOWN_KEYWORD: 'BAD_ARGUMENT',
  BAD_ARGUMENT: 'BAD_ARGUMENT',
  BAD_KEY: 'BAD_ARGUMENT',
  BAD_PARENT: 'BAD_PARENT',
  BAD_EXPRESSION: 'BAD_EXPRESSION',
  UNKNOWN_FUNCTION: 'UNKNOWN_FUNCTION',
  EXPR_ARITY: 'EXPR_ARITY',
  BAD_TREE: 'BAD_DOCUMENT',
  DUPLICATE_TREE: 'BAD_DOCUMENT',
  MULTIPLE_MAIN: 'BAD_DOCUMENT',
  DUPLICATE_ID: 'DUPLICATE_ID',
  UNKNOWN_SUBTREE: 'UNKNOWN_SUBTREE',
  RECURSIVE_SUBTREE: 'RECURSIVE_SUBTREE',
  TREE_TOO_LARGE: 'TREE_TOO_LARGE',
  NESTING_TOO_DEEP: 'NESTING_TOO_DEEP',
  EXPRESSION_TOO_LARGE: 'EXPRESSION_TOO_LARGE',
};

/**
 * Where the builder's node checks go (not strict): the first problem fails the build, naming the
 * node. Suggestions are left out of BuildError messages (documents are checked with
 * `validateTrees` before they are stored, which gives them).
 */
class BuildSink implements IssueSink {
  private frame!: Frame;
  private path = '';
  private json!: NodeJson;
  private id = '';

  /** The node the next checks are about. */
  at(frame: Frame, path: string, json: NodeJson, id: string): void {
    this.frame = frame;
    this.path = path;
    this.json = json;
    this.id = id;
  }

  add(issue: TreeIssue): never {
    const code = BUILD_CODES[issue.code];
    throw nodeError(this.frame, this.path, this.json, this.id, code, issue.message);
  }
}

/** Matches every default id (index paths); an explicit id that does not match cannot collide with one. */
const PATH_LIKE = /^[0-9.]+$/;

/** `.0`, `.1`, ...: the index path step to a child, made once. */
const STEPS: readonly string[] = Array.from({ length: 64 }, (_, i) => `.${i}`);

function step(i: number): string {
  return i < STEPS.length ? STEPS[i] : `.${i}`;
}

const NO_NODES: readonly BtNode[] = [];
const NO_JSON: readonly NodeJson[] = [];

/** Fields the rules read as arrays and objects (a document from elsewhere may have anything). */
function checkShape(json: NodeJson, d: Def): void {
  const { args, kwargs, children } = json;
  if (args != null && !Array.isArray(args))
    d.fail('BAD_ARGUMENT', `'args' of (${json.type}) must be an array`);
  if (kwargs != null && (typeof kwargs !== 'object' || Array.isArray(kwargs)))
    d.fail('BAD_ARGUMENT', `'kwargs' of (${json.type}) must be an object`);
  if (children != null && !Array.isArray(children))
    d.fail('BAD_ARITY', `'children' of (${json.type}) must be an array`);
}

function checkDocument(doc: TreeDocument, what: string): void {
  if (
    typeof doc !== 'object' ||
    doc === null ||
    !Array.isArray(doc.trees) ||
    doc.trees.length === 0
  ) {
    throw new BuildError('BAD_DOCUMENT', `${what} has no trees`);
  }
  if (doc.format !== undefined && doc.format !== 'canopy/1') {
    throw new BuildError(
      'BAD_DOCUMENT',
      `${what} has format '${String(doc.format)}', expected 'canopy/1'`,
    );
  }
}

function pickTree(doc: TreeDocument, name: string | undefined): TreeJson {
  if (name !== undefined) {
    const t = doc.trees.find((x) => x.name === name);
    if (!t) throw new BuildError('UNKNOWN_TREE', `no tree named '${name}' in the document`);
    return t;
  }
  return doc.trees.find((t) => t.main === true) ?? doc.trees[0];
}

class Builder {
  readonly nodes: BtNode[] = [];
  /** The JSON each node was built from, by index: node infos and the fingerprint come from it. */
  readonly jsons: NodeJson[] = [];
  /**
   * Ids seen, for the duplicate check. Default ids are index paths, unique by construction, so
   * they are only tracked once an explicit id that looks like one shows up (`checkAll`).
   */
  private readonly ids = new Set<string>();
  private checkAll = false;
  /** Some node has `:stuck-after`: the tree's watchdog looks for budgets only then. */
  budgeted = false;
  private readonly sink = new BuildSink();
  private readonly check = new NodeChecker(false, this.sink);

  constructor(
    private readonly rt: Runtime,
    private readonly library: readonly TreeDocument[],
  ) {}

  build(
    json: NodeJson,
    frame: Frame,
    path: string,
    scope: LocalScope | null,
    parent: NodeRule | undefined,
  ): BtNode {
    if (typeof json !== 'object' || json === null || typeof json.type !== 'string') {
      const where = whereOf(frame, path);
      throw new BuildError('BAD_DOCUMENT', `${where}: not a node`, undefined, where);
    }
    const explicit = json.id !== undefined;
    const id = explicit ? instanceId(frame.prefix, String(json.id)) : path;
    this.sink.at(frame, path, json, id);
    const check = this.check;
    const spec = BUILD_SPEC_BY_TYPE.get(json.type) ?? this.unknownType(json.type);
    const rule = spec.rule;
    const children = json.children ?? NO_JSON;
    const d = new Def(
      id,
      this.rt,
      rule.spec,
      json,
      scope,
      Array.isArray(children) ? children.length : 0,
      frame,
      path,
    );
    if (explicit || this.checkAll) this.checkId(id, explicit, d);
    checkShape(json, d);
    check.checkNode(json, rule, parent);
    if (rule.childType !== undefined) {
      for (let i = 0; i < children.length; i++) check.childType(rule, children[i]);
    }

    const node = spec.factory(d);
    node.index = this.nodes.length;
    if (json['stuck-after'] !== undefined) this.budgeted = true;
    this.nodes.push(node);
    this.jsons.push(json);

    const inner = ownsScope(node) ? node.ownScope : scope;
    if (rule.type === 'subtree') {
      const name = String(json.args?.[0]);
      const [doc, tree] =
        this.resolve(name, frame.doc) ?? d.fail('UNKNOWN_SUBTREE', `no tree named '${name}'`);
      if (frame.stack.includes(tree)) {
        d.fail(
          'RECURSIVE_SUBTREE',
          `subtree '${name}' includes itself: ${[...frame.stack, tree].map((t) => t.name).join(' -> ')}`,
        );
      }
      const rootPath = `${path}.0`;
      const sub: Frame = {
        doc,
        tree,
        base: rootPath.length,
        prefix: id,
        stack: [...frame.stack, tree],
      };
      node.attach([this.build(tree.root, sub, rootPath, inner, rule)]);
    } else if (rule.type === 'for-each' && node instanceof ParallelForEachNode) {
      // `:parallel N`: N copies of the child, built as if they were N children (ids `F.0`...
      // `F.N-1`), each in its own scope; an explicit id inside copy k is prefixed with its path.
      const built: BtNode[] = [];
      for (let k = 0; k < node.copies; k++) {
        const copyPath = path + step(k);
        const child = children[0];
        const explicitRoot = typeof child === 'object' && child !== null && child.id !== undefined;
        const rootId = explicitRoot ? instanceId(copyPath, String(child.id)) : copyPath;
        const copy: Frame = { ...frame, prefix: copyPath };
        built.push(this.build(child, copy, copyPath, node.slotScope(k, rootId), rule));
      }
      node.attach(built);
    } else if (children.length > 0) {
      const built: BtNode[] = [];
      for (let i = 0; i < children.length; i++) {
        built.push(this.build(children[i], frame, path + step(i), inner, rule));
      }
      node.attach(built);
    } else {
      node.attach(NO_NODES);
    }
    return node;
  }

  private unknownType(type: string): never {
    this.check.unknownNode(type);
    throw new Error('unreachable: the sink throws');
  }

  private checkId(id: string, explicit: boolean, d: Def): void {
    if (explicit && !this.checkAll && PATH_LIKE.test(id)) {
      // From here on every id is tracked: catch up with the default ids built so far.
      this.checkAll = true;
      for (const n of this.nodes) this.ids.add(n.id);
    }
    if (this.ids.has(id)) d.fail('DUPLICATE_ID', `duplicate node id '${id}'`);
    this.ids.add(id);
  }

  /** Same document first, then the library, in order. */
  private resolve(name: string, doc: TreeDocument): [TreeDocument, TreeJson] | undefined {
    for (const d of [doc, ...this.library]) {
      const t = d.trees.find((x) => x.name === name);
      if (t) return [d, t];
    }
    return undefined;
  }
}

/**
 * Builds a runnable tree from canonical JSON. Throws BuildError for anything the validator
 * would reject, naming the node, so a tree that builds can always be ticked.
 */
export function buildTree(doc: TreeDocument, options: BuildOptions = {}): BehaviorTree {
  checkDocument(doc, 'the document');
  const library = options.library ?? [];
  library.forEach((d, i) => checkDocument(d, `library document ${i}`));
  const rec = new Recorder(options.record);
  const rt = new Runtime(
    options.execId ?? 'local',
    options.blackboard ?? new MemoryBlackboard(),
    options.actions,
    options.llm,
    options.onWake,
    rec,
  );
  return buildOn(
    rt,
    doc,
    options.tree,
    library,
    options.clock ?? systemClock,
    options.watchdog,
    options.limits,
  );
}

/**
 * @internal A tree on an existing runtime (a hot reload's new tree shares its predecessor's:
 * the same store, actions, recorder, and the `held` queue that async results settle through).
 */
export function buildOn(
  rt: Runtime,
  doc: TreeDocument,
  name: string | undefined,
  library: readonly TreeDocument[],
  clock: Clock,
  watchdog: WatchdogOptions = {},
  limits: TreeLimits = DEFAULT_TREE_LIMITS,
): BehaviorTree {
  const tree = pickTree(doc, name);
  // Counted on the JSON first: a subtree bomb is refused before a single node is made.
  const [breach] = checkTreeLimits(doc, limits, { library, trees: [tree] });
  if (breach) throw new BuildError(breach.code, breach.message);
  const b = new Builder(rt, library);
  const frame: Frame = { doc, tree, base: 1, prefix: null, stack: [tree] };
  const root = b.build(tree.root, frame, '0', null, undefined);
  return new BehaviorTree(
    tree.name,
    rt,
    root,
    b.nodes,
    b.jsons,
    clock,
    watchdog,
    b.budgeted,
    limits,
  );
}
