import {
  FORMAT_VERSION,
  jsonPointer,
  suggest,
  type ExprJson,
  type NodeJson,
  type NodeSpec,
  type TreeDocument,
  type TreeJson,
} from '@canopy/engine';
import type { Comment, KeywordAtom, ListForm, Pos, Sexp } from './ast';
import { COMMON, FUNCTIONS, SPEC_BY_TYPE, keywordOf } from './catalog';
import { describeSexp } from './describe';
import { DslErrorCode, type SourceIssue } from './errors';
import { defineOwn, hasOwn } from './util';

/**
 * The document read from source text. Where each part came from (to report problems found later
 * in the JSON, by pointer, at a line and column) is recorded only on request: conversion is
 * deterministic, so `toDocument(forms, comments, true)` gives the same document with its
 * positions, which `compile` asks for only when there is an error to place.
 */
export interface Conversion {
  /** Complete when `errors` is empty; otherwise holds placeholders listed in `broken`. */
  document: TreeDocument;
  /** JSON pointer -> position of the value there (empty unless recorded). */
  positions: Map<string, Pos>;
  /** JSON pointer of a keyword argument -> position of the keyword itself (same). */
  keyPositions: Map<string, Pos>;
  /**
   * Placeholders for forms that could not be read; their errors are already reported. Absent when
   * there are none (so that checking a clean document costs no lookups).
   */
  broken?: WeakSet<object>;
  errors: SourceIssue[];
}

/**
 * Turns the forms of a file into its canonical JSON. Only problems that JSON cannot express are
 * reported here (malformed forms, duplicate keywords, odd maps...); what the document means is
 * checked afterwards by `validateTrees`, the same way for text and for JSON input. With `record`,
 * the positions of every part are kept as well.
 */
export function toDocument(
  forms: readonly Sexp[],
  comments: readonly Comment[],
  record = false,
): Conversion {
  return new Converter(comments, record).run(forms);
}

/**
 * Paths (JSON pointers) are built only when recording positions; otherwise every `path` below is
 * the empty string and nothing is recorded.
 */
class Converter {
  private readonly positions = new Map<string, Pos>();
  private readonly keyPositions = new Map<string, Pos>();
  private broken: WeakSet<object> | undefined;
  private readonly errors: SourceIssue[] = [];
  private nextComment = 0;

  constructor(
    private readonly comments: readonly Comment[],
    private readonly record: boolean,
  ) {}

  run(forms: readonly Sexp[]): Conversion {
    const trees: TreeJson[] = [];
    for (const form of forms) {
      if (
        form.kind === 'list' &&
        form.items.length > 0 &&
        form.items[0].kind === 'symbol' &&
        form.items[0].name === 'tree'
      ) {
        trees.push(this.tree(form, this.record ? jsonPointer('/trees', trees.length) : ''));
      } else if (form.kind !== 'error') {
        this.error(
          DslErrorCode.ExpectedTree,
          `expected a (tree "name" NODE) form, found ${describeSexp(form)}`,
          form.pos,
        );
      }
    }
    if (forms.length === 0) {
      this.error(DslErrorCode.NoTrees, 'expected at least one (tree "name" NODE) form', {
        line: 1,
        column: 1,
        offset: 0,
      });
    }
    const document: TreeDocument = { format: FORMAT_VERSION, trees };
    const trailing = this.takeComments(Number.POSITIVE_INFINITY);
    if (trailing) document.trailingComments = trailing;
    const conversion: Conversion = {
      document,
      positions: this.positions,
      keyPositions: this.keyPositions,
      errors: this.errors,
    };
    if (this.broken) conversion.broken = this.broken;
    return conversion;
  }

  /** `base/segment`, when recording. */
  private sub(base: string, segment: string | number): string {
    return this.record ? jsonPointer(base, segment) : '';
  }

  /** `base/segment/index`, when recording. */
  private sub2(base: string, segment: string, index: string | number): string {
    return this.record ? jsonPointer(`${base}/${segment}`, index) : '';
  }

  private at(path: string, pos: Pos): void {
    if (this.record) this.positions.set(path, pos);
  }

  private keyAt(path: string, pos: Pos): void {
    if (this.record) this.keyPositions.set(path, pos);
  }

  private tree(form: ListForm, path: string): TreeJson {
    this.at(path, form.pos);
    const comments = this.takeComments(form.pos.offset);
    const items = form.items;
    let start = 1;
    let name = '';
    let nameOk = false;
    const first = items.length > 1 ? items[1] : undefined;
    if (first?.kind === 'string') {
      name = first.value;
      nameOk = true;
      this.at(this.sub(path, 'name'), first.pos);
      start = 2;
    } else {
      const found = first ? `, found ${describeSexp(first)}` : '';
      this.error(
        DslErrorCode.BadTree,
        `expected a tree name string after 'tree'${found}`,
        first?.pos ?? form.pos,
      );
    }
    const label = nameOk ? `tree '${name}'` : "'tree'";
    let main: boolean | undefined;
    let root: NodeJson | undefined;
    let seen: Set<string> | undefined;
    for (let k = start; k < items.length; k++) {
      const item = items[k];
      if (item.kind === 'keyword') {
        const value = k + 1 < items.length ? items[k + 1] : undefined;
        k++;
        seen ??= new Set();
        if (!this.checkKeyword(item, value, seen)) continue;
        if (item.name !== 'main') {
          const hint = suggest(item.name, ['main']);
          this.error(
            DslErrorCode.UnknownKeyword,
            `unknown keyword :${item.name} for 'tree' ${hint ? `(did you mean :${hint}?)` : '(expected :main)'}`,
            item.pos,
          );
        } else if (value.kind === 'boolean') {
          main = value.value;
          const at = this.sub(path, 'main');
          this.at(at, value.pos);
          this.keyAt(at, item.pos);
        } else {
          this.error(
            DslErrorCode.BadArgument,
            `expected true or false for :main, found ${describeSexp(value)}`,
            value.pos,
          );
        }
      } else if (item.kind === 'list') {
        if (root) {
          this.error(
            DslErrorCode.BadTree,
            `${label} has more than one root node (wrap them in (sequence ...) or (selector ...))`,
            item.pos,
          );
          this.node(item, this.sub(path, 'extra'));
        } else {
          root = this.node(item, this.sub(path, 'root'));
        }
      } else if (item.kind !== 'error') {
        this.error(
          DslErrorCode.ExpectedNode,
          `expected a root node form for ${label}, found ${describeSexp(item)}`,
          item.pos,
        );
      }
    }
    if (!root) {
      this.error(
        DslErrorCode.BadTree,
        `${label} has no root node (expected a node form such as (sequence ...))`,
        form.pos,
      );
      root = this.placeholderNode();
    }
    const tree: TreeJson = main === undefined ? { name, root } : { name, main, root };
    if (comments) tree.comments = comments;
    if (!nameOk) this.markBroken(tree);
    return tree;
  }

  private node(form: Sexp, path: string): NodeJson {
    this.at(path, form.pos);
    if (form.kind !== 'list') {
      this.error(
        DslErrorCode.ExpectedNode,
        `expected a node form, found ${describeSexp(form)}`,
        form.pos,
      );
      return this.placeholderNode();
    }
    const comments = this.takeComments(form.pos.offset);
    const items = form.items;
    const head = items.length > 0 ? items[0] : undefined;
    if (!head || head.kind !== 'symbol') {
      const message = head
        ? `expected a node type after '(', found ${describeSexp(head)}`
        : `empty form '()' (expected a node type)`;
      if (head?.kind !== 'error')
        this.error(DslErrorCode.ExpectedNode, message, head?.pos ?? form.pos);
      return this.placeholderNode();
    }
    const type = head.name;
    this.at(this.sub(path, 'type'), head.pos);
    const spec = SPEC_BY_TYPE.get(type);
    let id: string | undefined;
    let name: string | undefined;
    let stuckAfter: number | undefined;
    let args: ExprJson[] | undefined;
    let kwargs: Record<string, ExprJson> | undefined;
    let children: NodeJson[] | undefined;
    let seen: Set<string> | undefined;
    for (let k = 1; k < items.length; k++) {
      const item = items[k];
      if (item.kind === 'keyword') {
        const value = k + 1 < items.length ? items[k + 1] : undefined;
        k++;
        seen ??= new Set();
        if (!this.checkKeyword(item, value, seen)) continue;
        const keyword = item.name;
        const common = COMMON.get(keyword);
        const attribute = common !== undefined && !(spec && keywordOf(spec, keyword));
        const at = attribute ? this.sub(path, keyword) : this.sub2(path, 'kwargs', keyword);
        this.keyAt(at, item.pos);
        if (attribute && common.kind === 'ms') {
          // A literal: the budget is read when the tree is built. The validator checks its value.
          this.at(at, value.pos);
          if (value.kind === 'number') stuckAfter = value.value;
          else if (value.kind !== 'error') {
            this.error(
              DslErrorCode.BadArgument,
              `expected a number of milliseconds for :${keyword}, found ${describeSexp(value)}`,
              value.pos,
            );
          }
        } else if (attribute) {
          this.at(at, value.pos);
          if (value.kind === 'string') {
            if (keyword === 'id') id = value.value;
            else name = value.value;
          } else if (value.kind !== 'error') {
            this.error(
              DslErrorCode.BadArgument,
              `expected a string for :${keyword}, found ${describeSexp(value)}`,
              value.pos,
            );
          }
        } else {
          defineOwn((kwargs ??= {}), keyword, this.expr(value, at));
        }
      } else if (children === undefined && this.isArgument(item, spec, args ? args.length : 0)) {
        args ??= [];
        args.push(this.expr(item, this.sub2(path, 'args', args.length)));
      } else if (item.kind === 'list') {
        children ??= [];
        children.push(this.node(item, this.sub2(path, 'children', children.length)));
      } else if (item.kind !== 'error') {
        this.error(
          DslErrorCode.ExpectedNode,
          `expected a child node form in '${type}', found ${describeSexp(item)} (arguments come before children)`,
          item.pos,
        );
      }
    }
    // Same key order as the NodeJson interface, so JSON output reads the same everywhere.
    const node: NodeJson = { type };
    if (id !== undefined) node.id = id;
    if (name !== undefined) node.name = name;
    if (stuckAfter !== undefined) node['stuck-after'] = stuckAfter;
    if (args) node.args = args;
    if (kwargs) node.kwargs = kwargs;
    if (children) node.children = children;
    if (comments) node.comments = comments;
    return node;
  }

  /**
   * Positional arguments and children are told apart by the catalogue: a list is an argument
   * while the node still has a positional slot to fill, unless it starts with a node type.
   */
  private isArgument(item: Sexp, spec: NodeSpec | undefined, filled: number): boolean {
    if (item.kind !== 'list') return true;
    const head = item.items.length > 0 ? item.items[0] : undefined;
    if (head?.kind === 'symbol') {
      if (SPEC_BY_TYPE.has(head.name) || head.name === 'tree') return false;
      // Under a misspelt node type, `(> $a 1)` is still more likely an argument than a child.
      if (!spec) return hasOwn(FUNCTIONS, head.name);
    }
    return !!spec && (spec.variadic === true || filled < spec.positional.length);
  }

  private checkKeyword(
    keyword: KeywordAtom,
    value: Sexp | undefined,
    seen: Set<string>,
  ): value is Sexp {
    if (!value) {
      this.error(
        DslErrorCode.MissingValue,
        `missing value for keyword :${keyword.name}`,
        keyword.pos,
      );
      return false;
    }
    if (seen.has(keyword.name)) {
      this.error(DslErrorCode.DuplicateKeyword, `duplicate keyword :${keyword.name}`, keyword.pos);
      return false;
    }
    seen.add(keyword.name);
    return true;
  }

  private expr(form: Sexp, path: string): ExprJson {
    this.at(path, form.pos);
    switch (form.kind) {
      case 'number':
      case 'string':
      case 'boolean':
        return form.value;
      case 'nil':
        return null;
      case 'var':
        return { $: form.path };
      case 'symbol':
        return { sym: form.name };
      case 'keyword':
        return { kw: form.name };
      case 'error':
        return this.placeholderExpr();
      case 'vector': {
        const items = form.items;
        const list: ExprJson[] = [];
        for (let j = 0; j < items.length; j++)
          list.push(this.expr(items[j], this.sub2(path, 'list', j)));
        return { list };
      }
      case 'map':
        return this.map(form.items, path);
      case 'list': {
        const items = form.items;
        const head = items.length > 0 ? items[0] : undefined;
        if (!head || head.kind !== 'symbol') {
          const message = head
            ? `expected a function name after '(', found ${describeSexp(head)}`
            : `empty expression '()' (expected a function call such as (not $done))`;
          if (head?.kind !== 'error')
            this.error(DslErrorCode.BadExpression, message, head?.pos ?? form.pos);
          return this.placeholderExpr();
        }
        const args: ExprJson[] = [];
        for (let j = 1; j < items.length; j++)
          args.push(this.expr(items[j], this.sub2(path, 'args', j - 1)));
        return { call: head.name, args };
      }
    }
  }

  private map(items: readonly Sexp[], path: string): ExprJson {
    const map: Record<string, ExprJson> = {};
    const seen = new Set<string>();
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k];
      const value = k + 1 < items.length ? items[k + 1] : undefined;
      if (key.kind !== 'keyword') {
        if (key.kind !== 'error') {
          this.error(
            DslErrorCode.BadMap,
            `expected a keyword key in a map, found ${describeSexp(key)}`,
            key.pos,
          );
        }
        continue;
      }
      if (!value) {
        this.error(DslErrorCode.BadMap, `missing value for key :${key.name} in a map`, key.pos);
        continue;
      }
      if (seen.has(key.name)) {
        this.error(DslErrorCode.BadMap, `duplicate key :${key.name} in a map`, key.pos);
        continue;
      }
      seen.add(key.name);
      const at = this.sub2(path, 'map', key.name);
      this.keyAt(at, key.pos);
      defineOwn(map, key.name, this.expr(value, at));
    }
    return { map };
  }

  /** Comments written before `offset` that no earlier form has taken. */
  private takeComments(offset: number): string[] | undefined {
    const comments = this.comments;
    if (this.nextComment >= comments.length || comments[this.nextComment].pos.offset >= offset)
      return undefined;
    const taken: string[] = [];
    while (this.nextComment < comments.length && comments[this.nextComment].pos.offset < offset) {
      taken.push(comments[this.nextComment++].text);
    }
    return taken;
  }

  private placeholderNode(): NodeJson {
    const node: NodeJson = { type: 'sequence' };
    this.markBroken(node);
    return node;
  }

  private placeholderExpr(): ExprJson {
    const expr = { sym: 'error' };
    this.markBroken(expr);
    return expr;
  }

  private markBroken(placeholder: object): void {
    (this.broken ??= new WeakSet()).add(placeholder);
  }

  private error(code: DslErrorCode, message: string, pos: Pos): void {
    this.errors.push({ code, message, pos });
  }
}
