import { parseKey } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import { MemoryBlackboard } from '../blackboard/memory-blackboard';
import { systemClock } from '../clock';
import { BuildError, type BuildErrorCode } from '../errors';
import { compileExpr, constantOf } from '../expr/compile';
import { ExprCompileError } from '../expr/expr-error';
import { NODE_SPEC_BY_TYPE, type NodeSpec } from '../model/catalog';
import type { ExprJson, NodeJson, TreeDocument, TreeJson } from '../model/json';
import type { BuildOptions, NodeInfo } from '../model/runtime';
import { NODE_FACTORIES } from '../nodes/factory';
import { Recorder } from '../record/recorder';
import { BehaviorTree } from './behavior-tree';
import { Fingerprint } from './fingerprint';
import type { BtNode } from './node';
import { ownsScope, type NodeDef } from './node-def';
import { Runtime } from './runtime';
import { validateNode } from './validate-node';

/** Where a JSON node is being instantiated. */
interface Site {
  doc: TreeDocument;
  tree: TreeJson;
  /** Index path inside the tree that defines the node (for error messages). */
  jsonPath: string;
  /** Index path from the built root: the default id. */
  path: string;
  /** Id of the enclosing subtree node: explicit ids inside an instance are prefixed with it. */
  prefix: string | null;
  scope: LocalScope | null;
  parentId: string | undefined;
  parentType: string | undefined;
  depth: number;
  /** Trees being expanded, outermost first: a repeat is a recursive subtree. */
  stack: readonly TreeJson[];
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
  readonly infos: NodeInfo[] = [];
  readonly fingerprint = new Fingerprint();
  private readonly ids = new Set<string>();

  constructor(
    private readonly rt: Runtime,
    private readonly library: readonly TreeDocument[],
  ) {}

  build(json: NodeJson, site: Site): BtNode {
    const where = `${site.tree.name}:${site.jsonPath}`;
    if (typeof json !== 'object' || json === null || typeof json.type !== 'string') {
      throw new BuildError('BAD_DOCUMENT', `${where}: not a node`, undefined, where);
    }
    const explicit = json.id !== undefined;
    const id = explicit
      ? site.prefix !== null
        ? `${site.prefix}/${json.id}`
        : String(json.id)
      : site.path;
    const fail = (code: BuildErrorCode, message: string): never => {
      throw new BuildError(code, `${where} (${json.type}, id '${id}'): ${message}`, id, where);
    };
    const spec =
      NODE_SPEC_BY_TYPE.get(json.type) ??
      fail('UNKNOWN_NODE_TYPE', `unknown node type '${json.type}'`);
    if (this.ids.has(id)) fail('DUPLICATE_ID', `duplicate node id '${id}'`);
    this.ids.add(id);
    if (spec.parentType !== undefined && site.parentType !== spec.parentType) {
      fail('BAD_PARENT', `(${json.type}) is only valid inside (${spec.parentType})`);
    }
    validateNode(json, spec, fail);
    const children = json.children ?? [];
    if (spec.childType !== undefined) {
      for (const c of children) {
        if (NODE_SPEC_BY_TYPE.get(c.type)?.type !== spec.childType) {
          fail(
            'BAD_PARENT',
            `children of (${json.type}) must be (${spec.childType}), got (${c.type})`,
          );
        }
      }
    }

    const node = NODE_FACTORIES[spec.type](this.def(json, spec, id, site, children.length, fail));
    node.index = this.nodes.length;
    this.nodes.push(node);
    const info: NodeInfo = { id, type: json.type, childIds: [], depth: site.depth };
    if (json.name !== undefined) info.name = json.name;
    if (site.parentId !== undefined) info.parentId = site.parentId;
    this.infos.push(info);
    const fp = this.fingerprint;
    fp.add(id);
    fp.add(spec.type);
    if (json.args !== undefined) fp.add(JSON.stringify(json.args));
    if (json.kwargs !== undefined) fp.add(JSON.stringify(json.kwargs));
    fp.add(String(children.length));

    // Sites are built as full literals of one shape: spreading them was the slowest part of a build.
    const scope = ownsScope(node) ? node.ownScope : site.scope;
    const depth = site.depth + 1;
    let built: BtNode[];
    if (spec.type === 'subtree') {
      const name = String(json.args?.[0]);
      const [doc, tree] =
        this.resolve(name, site.doc) ?? fail('UNKNOWN_SUBTREE', `no tree named '${name}'`);
      if (site.stack.includes(tree)) {
        fail(
          'RECURSIVE_SUBTREE',
          `subtree '${name}' includes itself: ${[...site.stack, tree].map((t) => t.name).join(' -> ')}`,
        );
      }
      const stack = [...site.stack, tree];
      const path = `${site.path}.0`;
      built = [
        this.build(tree.root, {
          doc,
          tree,
          jsonPath: '0',
          path,
          prefix: id,
          scope,
          parentId: id,
          parentType: spec.type,
          depth,
          stack,
        }),
      ];
    } else {
      const { doc, tree, prefix, stack } = site;
      built = children.map((c, i) => {
        const jsonPath = `${site.jsonPath}.${i}`;
        const path = `${site.path}.${i}`;
        return this.build(c, {
          doc,
          tree,
          jsonPath,
          path,
          prefix,
          scope,
          parentId: id,
          parentType: spec.type,
          depth,
          stack,
        });
      });
    }
    info.childIds = built.map((c) => c.id);
    node.attach(built);
    return node;
  }

  /** Same document first, then the library, in order. */
  private resolve(name: string, doc: TreeDocument): [TreeDocument, TreeJson] | undefined {
    for (const d of [doc, ...this.library]) {
      const t = d.trees.find((x) => x.name === name);
      if (t) return [d, t];
    }
    return undefined;
  }

  private def(
    json: NodeJson,
    spec: NodeSpec,
    id: string,
    site: Site,
    childCount: number,
    fail: (code: BuildErrorCode, message: string) => never,
  ): NodeDef {
    const kwargs = json.kwargs ?? {};
    const scope = site.scope;
    return {
      id,
      rt: this.rt,
      spec,
      json,
      scope,
      childCount,
      arg: (i) => json.args?.[i],
      kw: (name) => (Object.hasOwn(kwargs, name) ? kwargs[name] : undefined),
      kwargs: () => Object.entries(kwargs),
      expr: (e: ExprJson) => {
        try {
          return compileExpr(e, scope);
        } catch (err) {
          if (err instanceof ExprCompileError) return fail(err.code, err.message);
          throw err;
        }
      },
      text: (e) =>
        typeof e === 'string'
          ? e
          : typeof e === 'object' && e !== null && 'sym' in e
            ? e.sym
            : fail('BAD_ARGUMENT', 'expected a name'),
      key: (e) =>
        (typeof e === 'string' ? parseKey(e) : undefined) ??
        fail('BAD_ARGUMENT', `malformed key ${JSON.stringify(e)}`),
      literal: (e) => constantOf(e, scope),
      fail,
    };
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
  const tree = pickTree(doc, options.tree);
  const rec = new Recorder(options.record);
  const rt = new Runtime(
    options.execId ?? 'local',
    options.blackboard ?? new MemoryBlackboard(),
    options.actions,
    options.llm,
    options.onWake,
    rec,
  );
  const b = new Builder(rt, library);
  b.fingerprint.add(tree.name);
  const root = b.build(tree.root, {
    doc,
    tree,
    jsonPath: '0',
    path: '0',
    prefix: null,
    scope: null,
    parentId: undefined,
    parentType: undefined,
    depth: 0,
    stack: [tree],
  });
  return new BehaviorTree(
    tree.name,
    rt,
    root,
    b.nodes,
    b.infos,
    b.fingerprint.digest(),
    options.clock ?? systemClock,
  );
}
