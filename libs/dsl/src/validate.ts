import {
  type ArgSpec,
  type ExprJson,
  type NodeJson,
  type NodeSpec,
  type TreeDocument,
} from '@canopy/engine';
import { COMMON_NAMES, FUNCTIONS, PREFIXES, SPECS, SPEC_BY_TYPE, keywordOf } from './catalog';
import { describeExpr } from './describe';
import { DslErrorCode, type Issue } from './errors';
import { prefixedIdCollisions } from './prefixed-ids';
import { suggest } from './suggest';
import { pointer } from './syntax';
import { hasOwn } from './util';

export interface ValidateContext {
  /** Trees of other files that `(subtree "name")` may reference. */
  knownTrees: readonly string[];
  /** Do not report references to trees that are neither local nor known. */
  lenientSubtrees?: boolean;
  /** Placeholders for parts that could not be read; skipped, their errors are already reported. */
  broken?: WeakSet<object>;
  /** How to name another place of the document in a message (`3:5` in text, a pointer in JSON). */
  where: (path: string) => string;
}

const NODE_TYPES: readonly string[] = SPECS.flatMap((s) => [s.type, ...(s.aliases ?? [])]);
const FUNCTION_NAMES = Object.keys(FUNCTIONS);
const PATH_LIKE_ID = /^[0-9]+(\.[0-9]+)*$/;
const NO_ARGS: readonly ExprJson[] = [];
const NO_CHILDREN: readonly NodeJson[] = [];

interface SubtreeRef {
  from: number;
  name: string;
  path: string;
}

/** What a document means: the checks shared by source text and JSON input. */
export function validateTrees(document: TreeDocument, context: ValidateContext): Issue[] {
  return new Validator(context).run(document);
}

class Validator {
  private readonly issues: Issue[] = [];
  private readonly refs: SubtreeRef[] = [];
  private ids = new Map<string, string>();
  /** An explicit id contains '/': only then can ids of subtree instances collide. */
  private slashIds = false;
  private treeName = '';
  private treeIndex = 0;
  /**
   * JSON pointer segments of the value being checked (the first `depth` of them), set on each
   * descent and joined into a pointer only when an issue (or a first id, or a subtree reference) needs it.
   */
  private readonly segments: (string | number)[] = [];
  private depth = 0;

  constructor(private readonly context: ValidateContext) {}

  run(document: TreeDocument): Issue[] {
    const local = new Map<string, number>();
    let mainPath: string | undefined;
    document.trees.forEach((tree, index) => {
      const path = pointer('/trees', index);
      if (!this.isBroken(tree)) {
        const namePath = `${path}/name`;
        const first = local.get(tree.name);
        if (tree.name === '') {
          this.issue(DslErrorCode.BadTree, 'tree name must not be empty', namePath);
        } else if (first !== undefined) {
          const at = this.context.where(pointer('/trees', first));
          this.issue(
            DslErrorCode.DuplicateTree,
            `duplicate tree name '${tree.name}' (first defined at ${at})`,
            namePath,
          );
        } else {
          local.set(tree.name, index);
        }
      }
      if (tree.main === true) {
        if (mainPath === undefined) mainPath = path;
        else {
          const at = this.context.where(mainPath);
          this.issue(
            DslErrorCode.MultipleMain,
            `only one tree may be :main true (another one is at ${at})`,
            `${path}/main`,
          );
        }
      }
      this.ids = new Map();
      this.treeName = tree.name;
      this.treeIndex = index;
      this.depth = 0;
      this.enter('trees', index);
      this.enter('root');
      this.node(tree.root, undefined);
    });
    this.depth = 0;
    if (!this.context.lenientSubtrees) this.checkSubtrees(local);
    this.checkRecursion(document, local);
    if (this.slashIds) this.checkPrefixedIds(document, local);
    return this.issues;
  }

  /** Descends by one or two segments; returns the depth to restore afterwards. */
  private enter(a: string | number, b?: string | number): number {
    const depth = this.depth;
    this.segments[depth] = a;
    if (b === undefined) {
      this.depth = depth + 1;
    } else {
      this.segments[depth + 1] = b;
      this.depth = depth + 2;
    }
    return depth;
  }

  /** The pointer of the current value, with up to two more segments. */
  private path(a?: string | number, b?: string | number): string {
    let path = '';
    for (let i = 0; i < this.depth; i++) path = pointer(path, this.segments[i]);
    if (a !== undefined) path = pointer(path, a);
    if (b !== undefined) path = pointer(path, b);
    return path;
  }

  private node(node: NodeJson, parent: NodeSpec | undefined): void {
    if (this.isBroken(node)) return;
    const spec = SPEC_BY_TYPE.get(node.type);
    const children = node.children ?? NO_CHILDREN;
    if (!spec) {
      // Without a spec the kinds of its arguments are unknown; checking them would only add noise.
      this.unknownNode(node.type);
    } else {
      const args = node.args ?? NO_ARGS;
      this.placement(node, spec, parent);
      this.childCount(node, spec, children.length);
      this.positional(node, spec, args);
      if (node.kwargs !== undefined || spec.keywords.length > 0)
        this.keywords(node, spec, node.kwargs ?? {});
      if (spec.type === 'subtree' && typeof args[0] === 'string') {
        this.refs.push({ from: this.treeIndex, name: args[0], path: this.path('args', 0) });
      } else if (spec.type === 'parallel' && node.kwargs !== undefined) {
        this.parallel(node.kwargs);
      }
      if (node.name !== undefined && keywordOf(spec, 'name')) {
        this.issue(
          DslErrorCode.BadArgument,
          `'${node.type}' uses :name as an argument, so it cannot also have a "name" label`,
          this.path('name'),
        );
      }
    }
    this.identity(node);
    for (let i = 0; i < children.length; i++) {
      const depth = this.enter('children', i);
      this.node(children[i], spec);
      this.depth = depth;
    }
  }

  /** The engine refuses `:policy` with `:success` (`:policy` is shorthand for `:success`). */
  private parallel(kwargs: Record<string, ExprJson>): void {
    if (!hasOwn(kwargs, 'policy') || !hasOwn(kwargs, 'success')) return;
    const keys = Object.keys(kwargs);
    const later = keys.indexOf('policy') > keys.indexOf('success') ? 'policy' : 'success';
    this.issue(
      DslErrorCode.BadArgument,
      `'parallel' takes :success or :policy, not both (:policy is shorthand for :success)`,
      this.path('kwargs', later),
      true,
    );
  }

  private unknownNode(type: string): void {
    let message = `unknown node type '${type}'`;
    const hint = suggest(type, NODE_TYPES);
    if (type === 'tree') message += ` ('tree' forms are only allowed at the top level)`;
    else if (hasOwn(FUNCTIONS, type))
      message += ` ('${type}' is an expression; test it with (condition ...))`;
    else if (hint) message += ` (did you mean '${hint}'?)`;
    this.issue(DslErrorCode.UnknownNode, message, this.path('type'));
  }

  private placement(node: NodeJson, spec: NodeSpec, parent: NodeSpec | undefined): void {
    if (spec.parentType && parent?.type !== spec.parentType) {
      this.issue(
        DslErrorCode.BadParent,
        `'${node.type}' is only allowed inside '${spec.parentType}'`,
        this.path(),
      );
    } else if (parent?.childType && spec.type !== parent.childType) {
      this.issue(
        DslErrorCode.BadParent,
        `'${parent.type}' accepts only '${parent.childType}' children, found '${node.type}'`,
        this.path(),
      );
    }
  }

  private childCount(node: NodeJson, spec: NodeSpec, count: number): void {
    const { min, max } = spec.children;
    if (count >= min && count <= max) return;
    const message = `'${node.type}' expects ${quantity(min, max, 'child', 'children')}, found ${count}`;
    this.issue(DslErrorCode.Arity, message, count > max ? this.path('children', max) : this.path());
  }

  private positional(node: NodeJson, spec: NodeSpec, args: readonly ExprJson[]): void {
    const slots = spec.positional;
    const max = spec.variadic ? Number.POSITIVE_INFINITY : slots.length;
    if (args.length > max) {
      const min = slots.filter((s) => s.required).length;
      const message = `'${node.type}' expects ${quantity(min, max, 'argument', 'arguments')}, found ${args.length}`;
      this.issue(DslErrorCode.Arity, message, this.path('args', max));
    }
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (isObject(arg) && 'kw' in arg) {
        // Printed as `:x`, it would read back as a keyword argument. Only JSON can say this.
        const message = `a keyword cannot be a positional argument of '${node.type}' (it reads as a keyword argument)`;
        this.issue(DslErrorCode.BadArgument, message, this.path('args', i));
        continue;
      }
      const slot =
        i < slots.length ? slots[i] : spec.variadic ? slots[slots.length - 1] : undefined;
      if (slot) {
        const depth = this.enter('args', i);
        this.kind(arg, slot, node.type, true);
        this.depth = depth;
      }
    }
    for (let i = args.length; i < slots.length; i++) {
      if (slots[i].required) {
        this.issue(
          DslErrorCode.MissingArgument,
          `missing required argument '${slots[i].name}' for '${node.type}'`,
          this.path(),
        );
      }
    }
  }

  private keywords(node: NodeJson, spec: NodeSpec, kwargs: Record<string, ExprJson>): void {
    for (const key of Object.keys(kwargs)) {
      const keyword = keywordOf(spec, key);
      if (keyword) {
        const depth = this.enter('kwargs', key);
        this.kind(kwargs[key], keyword, node.type, false);
        this.depth = depth;
      } else if (COMMON_NAMES.includes(key)) {
        // Only JSON can say this: in text, :id and :name always become the node's own fields.
        this.issue(
          DslErrorCode.BadArgument,
          `:${key} belongs in the node's "${key}" field, not in "kwargs"`,
          this.path('kwargs', key),
          true,
        );
      } else if (spec.openKeywords) {
        const depth = this.enter('kwargs', key);
        this.expr(kwargs[key]);
        this.depth = depth;
      } else {
        const names = [...spec.keywords.map((k) => k.name), ...COMMON_NAMES];
        const hint = suggest(key, names);
        const detail = hint
          ? `did you mean :${hint}?`
          : `expected ${names.map((n) => `:${n}`).join(', ')}`;
        this.issue(
          DslErrorCode.UnknownKeyword,
          `unknown keyword :${key} for '${node.type}' (${detail})`,
          this.path('kwargs', key),
          true,
        );
      }
    }
    for (const keyword of spec.keywords) {
      if (keyword.required && !hasOwn(kwargs, keyword.name)) {
        this.issue(
          DslErrorCode.MissingArgument,
          `missing required keyword :${keyword.name} for '${node.type}'`,
          this.path(),
        );
      }
    }
  }

  private identity(node: NodeJson): void {
    if (node.id === undefined) return;
    if (node.id === '') {
      this.issue(DslErrorCode.BadArgument, ':id must not be empty', this.path('id'));
    } else if (PATH_LIKE_ID.test(node.id)) {
      // Implicit ids are child-index paths; an explicit one of that shape could collide.
      this.issue(
        DslErrorCode.BadArgument,
        `:id '${node.id}' looks like a path id (such as "0.2"); choose a name`,
        this.path('id'),
      );
    } else {
      if (!this.slashIds && node.id.includes('/')) this.slashIds = true;
      const first = this.ids.get(node.id);
      if (first !== undefined) {
        const message = `duplicate id '${node.id}' in tree '${this.treeName}' (first used at ${this.context.where(first)})`;
        this.issue(DslErrorCode.DuplicateId, message, this.path('id'));
      } else {
        this.ids.set(node.id, this.path());
      }
    }
  }

  /**
   * Checks the argument at the current path against its spec: positional argument `spec.name`
   * of a `type` node, or its keyword argument `:name`.
   */
  private kind(value: ExprJson, spec: ArgSpec, type: string, positional: boolean): void {
    if (this.isBroken(value)) return;
    switch (spec.kind) {
      case 'expr':
        return this.expr(value);
      case 'number':
        if (typeof value === 'number') return;
        if (value !== null && typeof value === 'object' && ('$' in value || 'call' in value))
          return this.expr(value);
        return this.bad(value, spec, type, positional, 'a number');
      case 'string':
        if (typeof value !== 'string') this.bad(value, spec, type, positional, 'a string');
        return;
      case 'name':
        if (typeof value !== 'string' && !(isObject(value) && 'sym' in value))
          this.bad(value, spec, type, positional, 'a name (symbol or string)');
        return;
      case 'key':
        if (typeof value === 'string') this.key(value, spec, type, positional);
        else this.bad(value, spec, type, positional, 'a key string');
        return;
      case 'boolean':
        if (typeof value !== 'boolean') this.bad(value, spec, type, positional, 'true or false');
        return;
      case 'keyword': {
        const choices = spec.choices ?? [];
        if (isObject(value) && 'kw' in value && choices.includes(value.kw)) return;
        const hint = isObject(value) && 'kw' in value ? suggest(value.kw, choices) : undefined;
        return this.bad(
          value,
          spec,
          type,
          positional,
          `one of ${choices.map((c) => `:${c}`).join(', ')}`,
          hint ? ` (did you mean :${hint}?)` : '',
        );
      }
    }
  }

  private bad(
    value: ExprJson,
    spec: ArgSpec,
    type: string,
    positional: boolean,
    expected: string,
    extra = '',
  ): void {
    this.issue(
      DslErrorCode.BadArgument,
      `expected ${expected} for ${what(spec, type, positional)}, found ${describeExpr(value)}${extra}`,
      this.path(),
    );
  }

  private key(key: string, spec: ArgSpec, type: string, positional: boolean): void {
    if (key === '') {
      const message = `expected a non-empty key for ${what(spec, type, positional)}`;
      this.issue(DslErrorCode.BadKey, message, this.path());
      return;
    }
    this.keyText(key);
  }

  /**
   * A non-empty key string (of `set`, `unset`, `:into` or `(get "...")`): a known scope, if any,
   * then names separated by '/', as the engine reads it (`parseKey`). One issue at most, at the
   * current path with up to two more segments.
   */
  private keyText(key: string, a?: string, b?: number): void {
    // One pass over the character codes: the first ':' and any '/' that starts a segment.
    let colon = -1;
    let segment = 0;
    let empty = false;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      if (code === 0x2f) {
        if (i === segment) empty = true;
        segment = i + 1;
      } else if (code === 0x3a && colon < 0) {
        colon = i;
        segment = i + 1;
      }
    }
    if (colon >= 0 && !this.scope(key, `key '${key}'`, a, b)) return;
    if (empty || (segment === key.length && segment > colon + 1)) {
      this.issue(
        DslErrorCode.BadKey,
        `expected a name before and after each '/' in key '${key}'`,
        this.path(a, b),
      );
    }
  }

  /** `scope:rest` must name a known scope and leave a key after it; true when it does. */
  private scope(key: string, shown: string, a?: string, b?: number): boolean {
    const colon = key.indexOf(':');
    if (colon < 0) return true;
    const prefix = key.slice(0, colon);
    if (!PREFIXES.includes(prefix)) {
      const hint = suggest(prefix, PREFIXES);
      const detail = hint ? `did you mean '${hint}'?` : `expected ${PREFIXES.join(', ')}`;
      this.issue(
        DslErrorCode.BadKey,
        `unknown scope '${prefix}' in ${shown} (${detail})`,
        this.path(a, b),
      );
      return false;
    }
    if (colon === key.length - 1) {
      const message = `expected a key after '${prefix}:' in ${shown}`;
      this.issue(DslErrorCode.BadKey, message, this.path(a, b));
      return false;
    }
    return true;
  }

  private expr(expr: ExprJson): void {
    if (expr === null || typeof expr !== 'object' || this.isBroken(expr)) return;
    if ('$' in expr) {
      if (expr.$.includes(':')) this.scope(expr.$, `'$${expr.$}'`);
    } else if ('sym' in expr) {
      this.issue(
        DslErrorCode.BadExpression,
        `unexpected symbol '${expr.sym}' in an expression (write $${expr.sym} to read a key or "${expr.sym}" for a string)`,
        this.path(),
      );
    } else if ('list' in expr) {
      const list = expr.list;
      for (let i = 0; i < list.length; i++) {
        const depth = this.enter('list', i);
        this.expr(list[i]);
        this.depth = depth;
      }
    } else if ('map' in expr) {
      for (const key of Object.keys(expr.map)) {
        const depth = this.enter('map', key);
        this.expr(expr.map[key]);
        this.depth = depth;
      }
    } else if ('call' in expr) {
      this.call(expr.call, expr.args);
    }
  }

  private call(name: string, args: readonly ExprJson[]): void {
    const arity = hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
    if (!arity) {
      const hint = suggest(name, FUNCTION_NAMES);
      const detail = SPEC_BY_TYPE.has(name)
        ? ` ('${name}' is a node, not an expression)`
        : hint
          ? ` (did you mean '${hint}'?)`
          : '';
      this.issue(DslErrorCode.UnknownFunction, `unknown function '${name}'${detail}`, this.path());
    } else if (args.length < arity.min || args.length > arity.max) {
      const message = `'${name}' expects ${quantity(arity.min, arity.max, 'argument', 'arguments')}, found ${args.length}`;
      this.issue(DslErrorCode.ExprArity, message, this.path());
    } else if (name === 'get' && typeof args[0] === 'string') {
      // The engine parses a literal key when it builds the tree.
      const key = args[0];
      if (key !== '') this.keyText(key, 'args', 0);
      else
        this.issue(DslErrorCode.BadKey, `expected a non-empty key for 'get'`, this.path('args', 0));
    }
    for (let i = 0; i < args.length; i++) {
      const depth = this.enter('args', i);
      this.expr(args[i]);
      this.depth = depth;
    }
  }

  private checkSubtrees(local: ReadonlyMap<string, number>): void {
    const known = new Set(this.context.knownTrees);
    for (const ref of this.refs) {
      if (local.has(ref.name) || known.has(ref.name)) continue;
      const hint = suggest(ref.name, [...local.keys(), ...known]);
      const detail = hint ? ` (did you mean '${hint}'?)` : '';
      this.issue(DslErrorCode.UnknownSubtree, `unknown subtree '${ref.name}'${detail}`, ref.path);
    }
  }

  /** Depth-first over the file's own trees; a reference back into the current path is a cycle. */
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
          this.issue(DslErrorCode.RecursiveSubtree, message, ref.path);
        } else if (state[target] === 'new') {
          state[target] = 'active';
          stack.push({ tree: target, next: 0 });
        }
      }
    }
  }

  /** Explicit ids that collide once prefixed inside subtree instances (trees of this file only). */
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
    // Without an instance of a tree of this file, ids are those of one tree, checked already.
    if (!instances) return;
    const collisions = prefixedIdCollisions(document, local, outgoing, (value) =>
      this.isBroken(value),
    );
    for (const c of collisions) {
      const message = `duplicate id '${c.id}' when tree '${c.tree}' is built (first used at ${this.context.where(c.first)}; an :id inside a subtree becomes '<subtree node id>/<id>')`;
      this.issue(DslErrorCode.DuplicateId, message, c.path);
    }
  }

  private isBroken(value: unknown): boolean {
    return isObject(value) && !!this.context.broken?.has(value);
  }

  private issue(code: DslErrorCode, message: string, path: string, atKey = false): void {
    this.issues.push(atKey ? { code, message, path, atKey } : { code, message, path });
  }
}

/** How an argument is named in messages: `argument 'key' of 'set'` or `:ms of 'wait'`. */
function what(spec: ArgSpec, type: string, positional: boolean): string {
  return positional ? `argument '${spec.name}' of '${type}'` : `:${spec.name} of '${type}'`;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** "exactly 1 child", "at least 1 argument", "1 to 2 arguments", "no children". */
export function quantity(min: number, max: number, one: string, many: string): string {
  const noun = (n: number): string => (n === 1 ? one : many);
  if (max === 0) return `no ${many}`;
  if (min === max) return `exactly ${min} ${noun(min)}`;
  if (max === Number.POSITIVE_INFINITY) return `at least ${min} ${noun(min)}`;
  return `${min} to ${max} ${many}`;
}
