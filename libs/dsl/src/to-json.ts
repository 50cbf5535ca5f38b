import {
  EXPR_FUNCTIONS,
  FORMAT_VERSION,
  NODE_SPEC_BY_TYPE,
  type ExprJson,
  type NodeJson,
  type NodeSpec,
  type TreeDocument,
  type TreeJson,
} from '@canopy/engine';
import type { Comment, KeywordAtom, ListForm, Pos, Sexp } from './ast';
import { describeSexp } from './describe';
import { DslErrorCode, type SourceIssue } from './errors';
import { suggest } from './suggest';
import { pointer } from './syntax';
import { defineOwn, hasOwn } from './util';

/**
 * The document read from source text, with where each part came from so that problems found
 * later in the JSON (by pointer) can be reported at a line and column.
 */
export interface Conversion {
  /** Complete when `errors` is empty; otherwise holds placeholders listed in `broken`. */
  document: TreeDocument;
  /** JSON pointer -> position of the value there. */
  positions: Map<string, Pos>;
  /** JSON pointer of a keyword argument -> position of the keyword itself. */
  keyPositions: Map<string, Pos>;
  /** Placeholders for forms that could not be read; their errors are already reported. */
  broken: WeakSet<object>;
  errors: SourceIssue[];
}

/**
 * Turns the forms of a file into its canonical JSON. Only problems that JSON cannot express are
 * reported here (malformed forms, duplicate keywords, odd maps...); what the document means is
 * checked afterwards by `validateTrees`, the same way for text and for JSON input.
 */
export function toDocument(forms: readonly Sexp[], comments: readonly Comment[]): Conversion {
  return new Converter(comments).run(forms);
}

class Converter {
  private readonly positions = new Map<string, Pos>();
  private readonly keyPositions = new Map<string, Pos>();
  private readonly broken = new WeakSet<object>();
  private readonly errors: SourceIssue[] = [];
  private nextComment = 0;

  constructor(private readonly comments: readonly Comment[]) {}

  run(forms: readonly Sexp[]): Conversion {
    const trees: TreeJson[] = [];
    for (const form of forms) {
      if (
        form.kind === 'list' &&
        form.items[0]?.kind === 'symbol' &&
        form.items[0].name === 'tree'
      ) {
        trees.push(this.tree(form, pointer('/trees', trees.length)));
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
    return {
      document,
      positions: this.positions,
      keyPositions: this.keyPositions,
      broken: this.broken,
      errors: this.errors,
    };
  }

  private tree(form: ListForm, path: string): TreeJson {
    this.positions.set(path, form.pos);
    const comments = this.takeComments(form.pos.offset);
    const items = form.items.slice(1);
    let name = '';
    let nameOk = false;
    const first = items[0];
    if (first?.kind === 'string') {
      name = first.value;
      nameOk = true;
      this.positions.set(`${path}/name`, first.pos);
      items.shift();
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
    const seen = new Set<string>();
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      if (item.kind === 'keyword') {
        const value = items[k + 1];
        k++;
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
          this.positions.set(`${path}/main`, value.pos);
          this.keyPositions.set(`${path}/main`, item.pos);
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
          this.node(item, `${path}/extra`);
        } else {
          root = this.node(item, `${path}/root`);
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
    const tree: TreeJson = {
      name,
      ...(main !== undefined && { main }),
      root,
      ...(comments && { comments }),
    };
    if (!nameOk) this.broken.add(tree);
    return tree;
  }

  private node(form: Sexp, path: string): NodeJson {
    this.positions.set(path, form.pos);
    if (form.kind !== 'list') {
      this.error(
        DslErrorCode.ExpectedNode,
        `expected a node form, found ${describeSexp(form)}`,
        form.pos,
      );
      return this.placeholderNode();
    }
    const comments = this.takeComments(form.pos.offset);
    const head = form.items[0];
    if (!head || head.kind !== 'symbol') {
      const message = head
        ? `expected a node type after '(', found ${describeSexp(head)}`
        : `empty form '()' (expected a node type)`;
      if (head?.kind !== 'error')
        this.error(DslErrorCode.ExpectedNode, message, head?.pos ?? form.pos);
      return this.placeholderNode();
    }
    const type = head.name;
    this.positions.set(`${path}/type`, head.pos);
    const spec = NODE_SPEC_BY_TYPE.get(type);
    const node: NodeJson = { type };
    const args: ExprJson[] = [];
    const kwargs: Record<string, ExprJson> = {};
    const children: NodeJson[] = [];
    const seen = new Set<string>();
    const items = form.items;
    for (let k = 1; k < items.length; k++) {
      const item = items[k];
      if (item.kind === 'keyword') {
        const value = items[k + 1];
        k++;
        if (!this.checkKeyword(item, value, seen)) continue;
        const attribute =
          (item.name === 'id' || item.name === 'name') &&
          !spec?.keywords.some((s) => s.name === item.name);
        const at = attribute ? pointer(path, item.name) : pointer(`${path}/kwargs`, item.name);
        this.keyPositions.set(at, item.pos);
        if (attribute) {
          this.positions.set(at, value.pos);
          if (value.kind === 'string') node[item.name as 'id' | 'name'] = value.value;
          else if (value.kind !== 'error') {
            this.error(
              DslErrorCode.BadArgument,
              `expected a string for :${item.name}, found ${describeSexp(value)}`,
              value.pos,
            );
          }
        } else {
          defineOwn(kwargs, item.name, this.expr(value, at));
        }
      } else if (children.length === 0 && this.isArgument(item, spec, args.length)) {
        args.push(this.expr(item, pointer(`${path}/args`, args.length)));
      } else if (item.kind === 'list') {
        children.push(this.node(item, pointer(`${path}/children`, children.length)));
      } else if (item.kind !== 'error') {
        this.error(
          DslErrorCode.ExpectedNode,
          `expected a child node form in '${type}', found ${describeSexp(item)} (arguments come before children)`,
          item.pos,
        );
      }
    }
    // Same key order as the NodeJson interface, so JSON output reads the same everywhere.
    const ordered: NodeJson = { type };
    if (node.id !== undefined) ordered.id = node.id;
    if (node.name !== undefined) ordered.name = node.name;
    if (args.length) ordered.args = args;
    if (Object.keys(kwargs).length) ordered.kwargs = kwargs;
    if (children.length) ordered.children = children;
    if (comments) ordered.comments = comments;
    return ordered;
  }

  /**
   * Positional arguments and children are told apart by the catalogue: a list is an argument
   * while the node still has a positional slot to fill, unless it starts with a node type.
   */
  private isArgument(item: Sexp, spec: NodeSpec | undefined, filled: number): boolean {
    if (item.kind !== 'list') return true;
    const head = item.items[0];
    if (head?.kind === 'symbol') {
      if (NODE_SPEC_BY_TYPE.has(head.name) || head.name === 'tree') return false;
      // Under a misspelt node type, `(> $a 1)` is still more likely an argument than a child.
      if (!spec) return hasOwn(EXPR_FUNCTIONS, head.name);
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
    this.positions.set(path, form.pos);
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
      case 'vector':
        return { list: form.items.map((item, j) => this.expr(item, pointer(`${path}/list`, j))) };
      case 'map':
        return this.map(form.items, path);
      case 'list': {
        const head = form.items[0];
        if (!head || head.kind !== 'symbol') {
          const message = head
            ? `expected a function name after '(', found ${describeSexp(head)}`
            : `empty expression '()' (expected a function call such as (not $done))`;
          if (head?.kind !== 'error')
            this.error(DslErrorCode.BadExpression, message, head?.pos ?? form.pos);
          return this.placeholderExpr();
        }
        const args = form.items
          .slice(1)
          .map((item, j) => this.expr(item, pointer(`${path}/args`, j)));
        return { call: head.name, args };
      }
    }
  }

  private map(items: readonly Sexp[], path: string): ExprJson {
    const map: Record<string, ExprJson> = {};
    const seen = new Set<string>();
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k];
      const value = items[k + 1];
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
      const at = pointer(`${path}/map`, key.name);
      this.keyPositions.set(at, key.pos);
      defineOwn(map, key.name, this.expr(value, at));
    }
    return { map };
  }

  /** Comments written before `offset` that no earlier form has taken. */
  private takeComments(offset: number): string[] | undefined {
    const taken: string[] = [];
    while (
      this.nextComment < this.comments.length &&
      this.comments[this.nextComment].pos.offset < offset
    ) {
      taken.push(this.comments[this.nextComment++].text);
    }
    return taken.length ? taken : undefined;
  }

  private placeholderNode(): NodeJson {
    const node: NodeJson = { type: 'sequence' };
    this.broken.add(node);
    return node;
  }

  private placeholderExpr(): ExprJson {
    const expr = { sym: 'error' };
    this.broken.add(expr);
    return expr;
  }

  private error(code: DslErrorCode, message: string, pos: Pos): void {
    this.errors.push({ code, message, pos });
  }
}
