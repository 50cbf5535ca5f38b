import { keyProblem, parseKey } from '../blackboard/keys';
import type { ExprJson, NodeJson } from '../model/json';
import { describeExpr, quantity } from './describe';
import { jsonPointer, treeIssue, type TreeIssue, type TreeIssueCode } from './issue';
import {
  COMMON_NAMES,
  COMMON_RULES,
  FUNCTION_ARITY,
  FUNCTION_NAMES,
  NODE_TYPES,
  RULE_BY_TYPE,
  SCOPES,
  type ArgRule,
  type NodeRule,
} from './rules';
import { suggest } from './suggest';

/** What a rule reports: `hint` is shown apart; `a`/`b` lead below the current value. */
export type Problem = [
  code: TreeIssueCode,
  message: string,
  hint?: string,
  a?: string | number,
  b?: string | number,
  atKey?: boolean,
];

const NO_ARGS: readonly ExprJson[] = [];
const NO_KWARGS: Readonly<Record<string, ExprJson>> = {};

/** Where a checker's problems go: the validator's list of issues, or the builder's BuildError. */
export interface IssueSink {
  add(issue: TreeIssue): void;
}

/**
 * The rules of one node against its catalogue entry: placement, children, arguments and their
 * kinds, keywords, keys, expressions. The document validator (`validateTrees`) and the builder
 * (`buildTree`) both check nodes with this class; they differ in where a problem goes (`sink`)
 * and in `strict`. One class for both keeps the checks monomorphic: the builder's are as fast as
 * its own were.
 *
 * Paths: each problem is reported at the value being checked (a stack of JSON pointer segments,
 * joined only when a problem needs it), or at one or two segments below it.
 */
export class NodeChecker {
  readonly segments: (string | number)[] = [];
  depth = 0;

  constructor(
    /**
     * The document validator's checks: the rules of the canonical form as well (documents that
     * are stored, printed and read back), and expressions. The builder leaves them out: it builds
     * a little more (keywords as positional arguments, `:id`/`:name` among an action's named
     * arguments, a semaphore named by its label, a key prefix that is not a scope, which the key
     * then includes), and it compiles every expression, which fails on a bad one.
     */
    private readonly strict: boolean,
    private readonly sink: IssueSink,
    /** Placeholders for parts that could not be read (already reported), not to be checked. */
    private readonly broken?: WeakSet<object>,
  ) {}

  /** Descends by one or two segments; returns the depth to restore afterwards. */
  enter(a: string | number, b?: string | number): number {
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
  path(a?: string | number, b?: string | number): string {
    let path = '';
    for (let i = 0; i < this.depth; i++) path = jsonPointer(path, this.segments[i]);
    if (a !== undefined) path = jsonPointer(path, a);
    if (b !== undefined) path = jsonPointer(path, b);
    return path;
  }

  /** One problem, at the current value or up to two segments below it. */
  issue(...[code, message, hint, a, b, atKey]: Problem): void {
    this.sink.add(treeIssue(code, message, this.path(a, b), hint, atKey));
  }

  isBroken(value: unknown): boolean {
    return this.broken !== undefined && isObject(value) && this.broken.has(value);
  }

  unknownNode(type: string): void {
    let hint: string | undefined;
    if (type === 'tree') hint = `'tree' forms are only allowed at the top level`;
    else if (FUNCTION_ARITY.has(type))
      hint = `'${type}' is an expression; test it with (condition ...)`;
    else {
      const near = suggest(type, NODE_TYPES);
      if (near) hint = `did you mean '${near}'?`;
    }
    this.issue('UNKNOWN_NODE', `unknown node type '${type}'`, hint, 'type');
  }

  /** Everything about one node of a known type, except its id and its children's own rules. */
  checkNode(node: NodeJson, rule: NodeRule, parent: NodeRule | undefined): void {
    // `null` counts as absent, like a missing field.
    const args = node.args ?? NO_ARGS;
    const kwargs = node.kwargs ?? undefined;
    if (rule.parentType !== undefined && parent?.type !== rule.parentType) {
      this.issue('BAD_PARENT', `'${node.type}' is only allowed inside '${rule.parentType}'`);
    }
    this.childCount(node, rule, node.children ? node.children.length : 0);
    this.positional(node, rule, args);
    if (kwargs !== undefined || rule.keywords.length > 0)
      this.keywords(node, rule, kwargs ?? NO_KWARGS);
    if (rule.type === 'parallel' && kwargs !== undefined) this.parallel(kwargs);
    const budget = node['stuck-after'] ?? undefined;
    if (budget !== undefined) {
      const depth = this.enter('stuck-after');
      this.kind(budget, COMMON_RULES.stuckAfter, node.type, false);
      this.depth = depth;
    }
    if (this.strict && node.name !== undefined && rule.keyword('name')) {
      this.issue(
        'BAD_ARGUMENT',
        `'${node.type}' uses :name as an argument, so it cannot also have a "name" label`,
        undefined,
        'name',
      );
    }
  }

  /**
   * A child of a node that takes one type of children (`scoring-selector`), reported at `a/b`
   * below the current value. A child that is itself out of place is reported by its own check.
   */
  childType(parent: NodeRule, child: NodeJson, a?: string | number, b?: string | number): void {
    const childType = parent.childType;
    if (childType === undefined || this.isBroken(child)) return;
    const rule =
      typeof child === 'object' && child !== null ? RULE_BY_TYPE.get(child.type) : undefined;
    if (rule === undefined || rule.type === childType) return;
    if (rule.parentType !== undefined && rule.parentType !== parent.type) return;
    const message = `'${parent.type}' accepts only '${childType}' children, found '${child.type}'`;
    this.issue('BAD_PARENT', message, undefined, a, b);
  }

  private childCount(node: NodeJson, rule: NodeRule, count: number): void {
    const min = rule.minChildren;
    const max = rule.maxChildren;
    if (count >= min && count <= max) return;
    const message = `'${node.type}' expects ${quantity(min, max, 'child', 'children')}, found ${count}`;
    if (count > max) this.issue('CHILD_COUNT', message, undefined, 'children', max);
    else this.issue('CHILD_COUNT', message);
  }

  private positional(node: NodeJson, rule: NodeRule, args: readonly ExprJson[]): void {
    const slots = rule.positional;
    const max = rule.variadic ? Number.POSITIVE_INFINITY : slots.length;
    if (args.length > max) {
      const min = slots.filter((s) => s.required).length;
      const message = `'${node.type}' expects ${quantity(min, max, 'argument', 'arguments')}, found ${args.length}`;
      this.issue('ARG_COUNT', message, undefined, 'args', max);
    }
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (this.strict && isObject(arg) && 'kw' in arg) {
        // Printed as `:x`, it would read back as a keyword argument. Only JSON can say this.
        const message = `a keyword cannot be a positional argument of '${node.type}' (it reads as a keyword argument)`;
        this.issue('BAD_ARGUMENT', message, undefined, 'args', i);
        continue;
      }
      const slot =
        i < slots.length ? slots[i] : rule.variadic ? slots[slots.length - 1] : undefined;
      if (slot) {
        const depth = this.enter('args', i);
        this.kind(arg, slot, node.type, true);
        this.depth = depth;
      }
    }
    for (let i = args.length; i < slots.length; i++) {
      if (slots[i].required) {
        this.issue(
          'MISSING_ARGUMENT',
          `missing required argument '${slots[i].name}' for '${node.type}'`,
        );
      }
    }
  }

  private keywords(
    node: NodeJson,
    rule: NodeRule,
    kwargs: Readonly<Record<string, ExprJson>>,
  ): void {
    for (const key of Object.keys(kwargs)) {
      const keyword = rule.keyword(key);
      if (keyword) {
        const depth = this.enter('kwargs', key);
        this.kind(kwargs[key], keyword, node.type, false);
        this.depth = depth;
      } else if (this.strict && COMMON_NAMES.includes(key)) {
        // Only JSON can say this: in text, :id and :name always become the node's own fields.
        this.issue(
          'BAD_ARGUMENT',
          `:${key} belongs in the node's "${key}" field, not in "kwargs"`,
          undefined,
          'kwargs',
          key,
          true,
        );
      } else if (rule.openKeywords) {
        if (this.strict) {
          const depth = this.enter('kwargs', key);
          this.expr(kwargs[key]);
          this.depth = depth;
        }
      } else {
        const names = [...rule.keywords.map((k) => k.name), ...COMMON_NAMES];
        const near = suggest(key, names);
        const hint = near
          ? `did you mean :${near}?`
          : `expected ${names.map((n) => `:${n}`).join(', ')}`;
        const message = `unknown keyword :${key} for '${node.type}'`;
        this.issue('UNKNOWN_KEYWORD', message, hint, 'kwargs', key, true);
      }
    }
    for (const keyword of rule.keywords) {
      if (keyword.required && !this.given(node, kwargs, keyword.name)) {
        this.issue(
          'MISSING_ARGUMENT',
          `missing required keyword :${keyword.name} for '${node.type}'`,
        );
      }
    }
  }

  private given(node: NodeJson, kwargs: Readonly<Record<string, ExprJson>>, name: string): boolean {
    if (Object.hasOwn(kwargs, name)) return true;
    // The builder takes `semaphore :name` from the label too (the field it shadows).
    return !this.strict && (name === 'id' || name === 'name') && node[name] !== undefined;
  }

  /** The engine reads `:policy` as shorthand for `:success`, so both would contradict. */
  private parallel(kwargs: Readonly<Record<string, ExprJson>>): void {
    if (!Object.hasOwn(kwargs, 'policy') || !Object.hasOwn(kwargs, 'success')) return;
    const keys = Object.keys(kwargs);
    const later = keys.indexOf('policy') > keys.indexOf('success') ? 'policy' : 'success';
    this.issue(
      'BAD_ARGUMENT',
      `'parallel' takes :success or :policy, not both (:policy is shorthand for :success)`,
      undefined,
      'kwargs',
      later,
      true,
    );
  }

  /**
   * The argument at the current value against its rule: positional argument `arg.name` of a
   * `type` node, or its keyword argument `:name`.
   */
  private kind(value: ExprJson, arg: ArgRule, type: string, positional: boolean): void {
    // A hole or an undefined value (only from objects built in code) counts as absent.
    if (value === undefined || this.isBroken(value)) return;
    switch (arg.kind) {
      case 'expr':
        if (this.strict) this.expr(value);
        return;
      case 'number':
        if (typeof value === 'number') return;
        if (isObject(value) && ('$' in value || 'call' in value)) {
          if (this.strict) this.expr(value);
          return;
        }
        return this.bad(value, arg, type, positional, 'a number');
      case 'string':
        if (typeof value !== 'string') this.bad(value, arg, type, positional, 'a string');
        return;
      case 'name':
        if (typeof value !== 'string' && !(isObject(value) && 'sym' in value))
          this.bad(value, arg, type, positional, 'a name (symbol or string)');
        return;
      case 'key':
        if (typeof value !== 'string') this.bad(value, arg, type, positional, 'a key string');
        else if (value === '')
          this.issue('BAD_KEY', `expected a non-empty key for ${what(arg, type, positional)}`);
        else this.key(value);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') this.bad(value, arg, type, positional, 'true or false');
        return;
      case 'keyword': {
        const choices = arg.choices;
        if (isObject(value) && 'kw' in value && choices.includes(value.kw)) return;
        const kw = isObject(value) && 'kw' in value ? value.kw : undefined;
        const near = typeof kw === 'string' ? suggest(kw, choices) : undefined;
        const expected = `one of ${choices.map((c) => `:${c}`).join(', ')}`;
        return this.bad(value, arg, type, positional, expected, near && `did you mean :${near}?`);
      }
      case 'ms':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
          this.bad(value, arg, type, positional, 'a whole number of milliseconds (at least 1)');
        return;
      case 'count':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
          this.bad(value, arg, type, positional, 'a literal whole number (at least 1)');
        return;
    }
  }

  /** An expression at the current value, and everything in it. */
  private expr(expr: ExprJson): void {
    if (expr === null || typeof expr !== 'object' || this.isBroken(expr)) return;
    if ('$' in expr) {
      const path = expr.$;
      // A plain name (most reads) is a key as it is: not parsed, which would allocate a KeyRef.
      if (path === '') this.issue('BAD_KEY', `expected a key after '$'`);
      else if (path.includes(':') || path.includes('/')) this.key(path, true);
    } else if ('sym' in expr) {
      this.issue(
        'BAD_EXPRESSION',
        `unexpected symbol '${expr.sym}' in an expression (write $${expr.sym} to read a key or "${expr.sym}" for a string)`,
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
    const arity = FUNCTION_ARITY.get(name);
    if (!arity) {
      let hint: string | undefined;
      if (RULE_BY_TYPE.has(name)) hint = `'${name}' is a node, not an expression`;
      else {
        const near = suggest(name, FUNCTION_NAMES);
        if (near) hint = `did you mean '${near}'?`;
      }
      this.issue('UNKNOWN_FUNCTION', `unknown function '${name}'`, hint);
    } else if (args.length < arity.min || args.length > arity.max) {
      const message = `'${name}' expects ${quantity(arity.min, arity.max, 'argument', 'arguments')}, found ${args.length}`;
      this.issue('EXPR_ARITY', message);
    } else if (name === 'get' && typeof args[0] === 'string') {
      // The engine parses a literal key when it builds the tree.
      const key = args[0];
      if (key !== '') this.key(key, false, 'args', 0);
      else this.issue('BAD_KEY', `expected a non-empty key for 'get'`, undefined, 'args', 0);
    }
    for (let i = 0; i < args.length; i++) {
      const depth = this.enter('args', i);
      this.expr(args[i]);
      this.depth = depth;
    }
  }

  private bad(
    value: ExprJson,
    arg: ArgRule,
    type: string,
    positional: boolean,
    expected: string,
    hint?: string,
  ): void {
    const message = `expected ${expected} for ${what(arg, type, positional)}, found ${describeExpr(value)}`;
    this.issue('BAD_ARGUMENT', message, hint);
  }

  /**
   * A non-empty key string (of `set`, `unset`, `:into`, `(get "...")`, or the path of a `read`
   * `$...`), at the current value or `a/b` below it, as the engine reads keys (`parseKey`): a
   * known scope, if any, then names separated by '/'. Strictly, anything before a ':' must be a
   * scope. One issue at most.
   */
  private key(key: string, read = false, a?: string | number, b?: number): void {
    const colon = key.indexOf(':');
    if (colon >= 0) {
      const prefix = key.slice(0, colon);
      if (SCOPES.includes(prefix)) {
        if (colon === key.length - 1) {
          const message = `expected a key after '${prefix}:' in ${shown(key, read)}`;
          this.issue('BAD_KEY', message, undefined, a, b);
          return;
        }
      } else if (this.strict) {
        const near = suggest(prefix, SCOPES);
        const hint = near ? `did you mean '${near}'?` : `expected ${SCOPES.join(', ')}`;
        this.issue('BAD_KEY', `unknown scope '${prefix}' in ${shown(key, read)}`, hint, a, b);
        return;
      }
    }
    if (parseKey(key) === undefined) {
      const problem = keyProblem(key) ?? 'is malformed';
      const message = `${shown(key, read)} ${problem}: no tree can address it`;
      this.issue('BAD_KEY', message, undefined, a, b);
    }
  }
}

/** How a key is named in messages: `key 'a/b'`, or `'$a/b'` for a read. */
function shown(key: string, read: boolean): string {
  return read ? `'$${key}'` : `key '${key}'`;
}

/** How an argument is named in messages: `argument 'key' of 'set'` or `:ms of 'wait'`. */
function what(arg: ArgRule, type: string, positional: boolean): string {
  return positional ? `argument '${arg.name}' of '${type}'` : `:${arg.name} of '${type}'`;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
