import type { ExprJson, NodeJson, TreeDocument, TreeJson } from '@canopy/engine';
import { FormatIssueCode, IssueList, type FormatIssue } from '../issues';
import { readXml, type XmlElement } from '../xml/read-xml';
import { BUILTINS, UNSUPPORTED, type Builtin } from './builtins';
import { portValue } from './values';

export interface ImportOptions {
  /** Shown in issues; default `<input>`. */
  file?: string;
  /**
   * Reads an `<include path="...">` relative to the including file; without it, includes are
   * errors (the gateway has no file system to read them from).
   */
  readInclude?: (path: string, from: string) => { text: string; file: string } | undefined;
}

export interface ImportResult {
  /** Present only when nothing stopped the import (notes may still be there). */
  document?: TreeDocument;
  issues: FormatIssue[];
}

/** The kinds a `TreeNodesModel` (Groot2) gives custom nodes. */
type ModelKind = 'Action' | 'Condition' | 'Control' | 'Decorator' | 'SubTree';

/** Attributes every BT.CPP node may carry that change its behaviour and have no Canopy form. */
const SCRIPTED_ATTRIBUTES = ['_skipIf', '_failureIf', '_successIf', '_while', '_onSuccess', '_onFailure', '_onHalted', '_post'];
/** The v3 forms that name their node type in `ID`. */
const GENERIC_ELEMENTS = new Set(['Action', 'Condition', 'Control', 'Decorator', 'SubTree', 'SubTreePlus']);

interface FileTrees {
  file: string;
  root: XmlElement;
}

/**
 * BehaviorTree.CPP XML (v3 and v4, Groot2-saved files included) to a Canopy document. Every node
 * with a Canopy equivalent is carried over; anything else is an error at its line and column, and
 * then no document is produced: an import never drops behaviour silently. Differences worth
 * knowing that do not change what runs (a `TreeNodesModel` ignored, a label dropped) are notes.
 */
export function importBtcpp(text: string, options: ImportOptions = {}): ImportResult {
  const file = options.file ?? '<input>';
  const issues = new IssueList();
  const files = readFiles(text, file, options, issues);
  if (files.length === 0) return { issues: issues.sorted() };

  const models = new Map<string, ModelKind>();
  const trees: { element: XmlElement; file: string; name: string }[] = [];
  for (const { file: f, root } of files) {
    for (const child of root.children) {
      if (child.name === 'TreeNodesModel') {
        readModels(child, models);
        issues.note(f, child.at, 'TreeNodesModel ignored: Canopy needs no node models (custom nodes become actions)');
      } else if (child.name === 'BehaviorTree') {
        const name = child.attributes.get('ID') ?? (trees.length === 0 ? 'MainTree' : undefined);
        if (name === undefined) issues.error(f, child.at, FormatIssueCode.Invalid, 'BehaviorTree without an ID');
        else trees.push({ element: child, file: f, name });
      } else if (child.name !== 'include') {
        issues.error(f, child.at, FormatIssueCode.Unsupported, `<${child.name}> at the top level is not a BehaviorTree.CPP element Canopy knows`);
      }
    }
  }
  const treeNames = new Set(trees.map((t) => t.name));
  const mainName = files[0].root.attributes.get('main_tree_to_execute')?.trim() || trees.find((t) => t.file === file)?.name;
  if (mainName !== undefined && !treeNames.has(mainName)) {
    issues.error(file, files[0].root.at, FormatIssueCode.Invalid, `main_tree_to_execute names "${mainName}", which is not a BehaviorTree of the file or its includes`);
  }

  const converter = new NodeConverter(issues, treeNames, models);
  const out: TreeJson[] = [];
  for (const tree of trees) {
    const nodes = tree.element.children;
    if (nodes.length !== 1) {
      issues.error(tree.file, tree.element.at, FormatIssueCode.Invalid, `BehaviorTree "${tree.name}" must have exactly one root node, has ${nodes.length}`);
      continue;
    }
    const root = converter.node(nodes[0], tree.file);
    if (root) out.push({ name: tree.name, root });
  }
  if (issues.failed) return { issues: issues.sorted() };
  // The main tree goes first: Canopy's main tree is the first one unless another says `:main`.
  out.sort((a, b) => Number(b.name === mainName) - Number(a.name === mainName));
  return { document: { format: 'canopy/1', trees: out }, issues: issues.sorted() };
}

/** The file and every file it includes (each once; an include cycle is an error). */
function readFiles(text: string, file: string, options: ImportOptions, issues: IssueList): FileTrees[] {
  const out: FileTrees[] = [];
  const seen = new Set<string>([file]);
  const visit = (source: string, name: string): boolean => {
    const root = readXml(source, name, issues);
    if (!root) return false;
    if (root.name !== 'root') {
      issues.error(name, root.at, FormatIssueCode.Invalid, `expected <root>, found <${root.name}>`);
      return false;
    }
    out.push({ file: name, root });
    for (const include of root.children.filter((c) => c.name === 'include')) {
      const path = include.attributes.get('path');
      if (include.attributes.has('ros_pkg')) {
        issues.error(name, include.at, FormatIssueCode.Include, 'include with ros_pkg: ROS package paths cannot be resolved here');
        continue;
      }
      if (!path) {
        issues.error(name, include.at, FormatIssueCode.Invalid, 'include without a path');
        continue;
      }
      const read = options.readInclude?.(path, name);
      if (!read) {
        issues.error(name, include.at, FormatIssueCode.Include, options.readInclude ? `cannot read included file "${path}"` : `include "${path}": includes can only be read from files (canopy import)`);
        continue;
      }
      if (seen.has(read.file)) continue;
      seen.add(read.file);
      visit(read.text, read.file);
    }
    return true;
  };
  return visit(text, file) ? out : [];
}

function readModels(model: XmlElement, into: Map<string, ModelKind>): void {
  for (const node of model.children) {
    const id = node.attributes.get('ID');
    if (id && ['Action', 'Condition', 'Control', 'Decorator', 'SubTree'].includes(node.name)) into.set(id, node.name as ModelKind);
  }
}

class NodeConverter {
  constructor(
    private readonly issues: IssueList,
    private readonly trees: ReadonlySet<string>,
    private readonly models: ReadonlyMap<string, ModelKind>,
  ) {}

  node(el: XmlElement, file: string): NodeJson | undefined {
    const generic = GENERIC_ELEMENTS.has(el.name);
    const type = generic && el.name !== 'SubTree' && el.name !== 'SubTreePlus' ? el.attributes.get('ID') : el.name;
    if (type === undefined) {
      this.issues.error(file, el.at, FormatIssueCode.Invalid, `<${el.name}> without an ID`);
      return undefined;
    }
    for (const attr of SCRIPTED_ATTRIBUTES) {
      if (el.attributes.has(attr)) this.issues.error(file, el.at, FormatIssueCode.Unsupported, `${attr} on <${el.name}>: pre- and post-condition scripts have no Canopy form (use a guard or a condition in the tree)`);
    }
    const children = el.children.map((c) => this.node(c, file)).filter((c): c is NodeJson => c !== undefined);
    if (children.length !== el.children.length) return undefined;
    const ports = portsOf(el, generic);

    let node: NodeJson | undefined;
    if (el.name === 'SubTree' || el.name === 'SubTreePlus' || (children.length === 0 && this.trees.has(type) && !BUILTINS.has(type))) {
      node = this.subtree(el, el.name === 'SubTree' || el.name === 'SubTreePlus' ? el.attributes.get('ID') : type, ports, file);
    } else {
      const builtin = BUILTINS.get(type);
      const unsupported = UNSUPPORTED.get(type);
      if (unsupported !== undefined) {
        this.issues.error(file, el.at, FormatIssueCode.Unsupported, `${type} has no Canopy equivalent: ${unsupported}`);
        return undefined;
      }
      if (builtin) node = this.builtin(builtin, type, el, ports, children, file);
      else node = this.custom(el, type, ports, children, file);
    }
    if (!node) return undefined;
    const label = el.attributes.get('name');
    if (label !== undefined && label !== '' && label !== type) node = withName(node, label);
    return node;
  }

  private builtin(builtin: Builtin, type: string, el: XmlElement, ports: Map<string, string>, children: NodeJson[], file: string): NodeJson | undefined {
    const fail = (message: string) => {
      this.issues.error(file, el.at, FormatIssueCode.Unsupported, message);
      return undefined;
    };
    const result = builtin.convert({ type, ports, children, note: (m) => this.issues.note(file, el.at, m), fail });
    if (result === undefined) return undefined;
    const used = new Set(builtin.ports ?? []);
    for (const port of ports.keys()) {
      if (!used.has(port)) return fail(`${type} has no port "${port}" that Canopy can carry over`);
    }
    return result;
  }

  private subtree(el: XmlElement, id: string | undefined, ports: Map<string, string>, file: string): NodeJson | undefined {
    if (!id) {
      this.issues.error(file, el.at, FormatIssueCode.Invalid, 'SubTree without an ID');
      return undefined;
    }
    if (!this.trees.has(id)) {
      this.issues.error(file, el.at, FormatIssueCode.Invalid, `SubTree "${id}" is not a BehaviorTree of the file or its includes`);
      return undefined;
    }
    const kwargs: Record<string, ExprJson> = {};
    for (const [port, value] of ports) {
      if (port === '_autoremap' || port === '__autoremap') {
        if (value.trim() === 'true') this.issues.note(file, el.at, `_autoremap: the subtree "${id}" reads the caller's keys through its scope chain; its writes stay in its own scope`);
        continue;
      }
      kwargs[port] = portValue(port, value);
      if (/^\{.*\}$/.test(value.trim()))
        this.issues.note(file, el.at, `port "${port}" of SubTree "${id}" is passed in when the subtree starts; a value the subtree writes to it is not copied back`);
    }
    return { type: 'subtree', args: [id], ...(Object.keys(kwargs).length ? { kwargs } : {}) };
  }

  private custom(el: XmlElement, type: string, ports: Map<string, string>, children: NodeJson[], file: string): NodeJson | undefined {
    const kind = this.models.get(type) ?? (el.name === 'Control' || el.name === 'Decorator' ? el.name : undefined);
    if (children.length > 0 || kind === 'Control' || kind === 'Decorator') {
      this.issues.error(file, el.at, FormatIssueCode.Unsupported, `${type}: a custom ${kind?.toLowerCase() ?? 'control or decorator'} node has no Canopy equivalent`);
      return undefined;
    }
    const kwargs: Record<string, ExprJson> = {};
    for (const [port, value] of ports) kwargs[port] = portValue(port, value);
    return { type: 'action', args: [actionName(type)], ...(Object.keys(kwargs).length ? { kwargs } : {}) };
  }
}

/** The node's ports: its attributes but the label, the v3 `ID` and Groot's own bookkeeping. */
function portsOf(el: XmlElement, generic: boolean): Map<string, string> {
  const ports = new Map<string, string>();
  for (const [name, value] of el.attributes) {
    if (name === 'name' || (generic && name === 'ID') || name === '_uid' || name === '_fullpath' || name === '_description') continue;
    if (SCRIPTED_ATTRIBUTES.includes(name)) continue;
    ports.set(name, value);
  }
  return ports;
}

/** A symbol when the name reads back as one, else a string (both name an action). */
function actionName(type: string): ExprJson {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(type) ? { sym: type } : type;
}

/** Puts `name` where the canonical key order wants it (after type and id). */
function withName(node: NodeJson, name: string): NodeJson {
  const { type, id, ...rest } = node;
  return { type, ...(id !== undefined ? { id } : {}), name, ...rest };
}
