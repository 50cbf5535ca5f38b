import {
  FORMAT_VERSION,
  jsonPointer,
  type ExprJson,
  type NodeJson,
  type TreeDocument,
  type TreeJson,
} from '@canopy/engine';
import { describeJson } from './describe';
import { DslErrorCode, type Issue } from './errors';
import { MAX_DEPTH } from './parser';
import { isCommentText, isKeywordName, isSymbolName, isVarPath } from './syntax';
import { defineOwn } from './util';

export interface Structure {
  /** A clean copy in canonical form (empty arrays and objects dropped, -0 as 0). */
  document: TreeDocument;
  /** Placeholders for values that are not well formed; their problems are in `issues`. */
  broken: WeakSet<object>;
  issues: Issue[];
}

const EXPRESSION_SHAPES =
  'a number, string, boolean, null, {"$"}, {"sym"}, {"kw"}, {"call", "args"}, {"list"} or {"map"}';

/**
 * Checks that an unknown value has the shape of a TreeDocument and that every name in it would
 * print as text that reads back as the same name. What the document means is checked afterwards by
 * `validateTrees`, exactly as for source text.
 */
export function readDocument(json: unknown): Structure {
  return new Reader().run(json);
}

type Json = Record<string, unknown>;

class Reader {
  private readonly issues: Issue[] = [];
  private readonly broken = new WeakSet<object>();

  run(json: unknown): Structure {
    const trees: TreeJson[] = [];
    const document: TreeDocument = { format: FORMAT_VERSION, trees };
    const structure = { document, broken: this.broken, issues: this.issues };
    if (!this.object(json, '', ['format', 'trees', 'trailingComments'], 'a tree document'))
      return structure;
    if (json.format !== FORMAT_VERSION) {
      this.bad(
        `expected format "${FORMAT_VERSION}", found ${describeJson(json.format)}`,
        '/format',
      );
    }
    if (!Array.isArray(json.trees) || json.trees.length === 0) {
      this.bad(`expected a non-empty array of trees, found ${describeJson(json.trees)}`, '/trees');
    } else {
      json.trees.forEach((tree, i) => trees.push(this.tree(tree, jsonPointer('/trees', i))));
    }
    const trailing = this.comments(json.trailingComments, '/trailingComments');
    if (trailing) document.trailingComments = trailing;
    return structure;
  }

  private tree(value: unknown, path: string): TreeJson {
    if (!this.object(value, path, ['name', 'main', 'root', 'comments'], 'a tree')) {
      return this.mark({ name: '', root: this.mark({ type: 'sequence' }) });
    }
    let ok = true;
    if (typeof value.name !== 'string') {
      this.bad(`expected a tree name string, found ${describeJson(value.name)}`, `${path}/name`);
      ok = false;
    }
    if (value.main !== undefined && typeof value.main !== 'boolean') {
      this.bad(`expected true or false, found ${describeJson(value.main)}`, `${path}/main`);
    }
    const comments = this.comments(value.comments, `${path}/comments`);
    const tree: TreeJson = {
      name: typeof value.name === 'string' ? value.name : '',
      ...(typeof value.main === 'boolean' && { main: value.main }),
      root: this.node(value.root, `${path}/root`, 0),
      ...(comments && { comments }),
    };
    return ok ? tree : this.mark(tree);
  }

  private node(value: unknown, path: string, depth: number): NodeJson {
    if (depth > MAX_DEPTH) {
      this.bad(`nodes nested deeper than ${MAX_DEPTH} levels`, path);
      return this.mark({ type: 'sequence' });
    }
    const keys = ['type', 'id', 'name', 'stuck-after', 'args', 'kwargs', 'children', 'comments'];
    if (!this.object(value, path, keys, 'a node')) return this.mark({ type: 'sequence' });
    if (typeof value.type !== 'string') {
      this.bad(`expected a node type string, found ${describeJson(value.type)}`, `${path}/type`);
      return this.mark({ type: 'sequence' });
    }
    const node: NodeJson = { type: value.type };
    for (const attribute of ['id', 'name'] as const) {
      const v = value[attribute];
      if (v === undefined) continue;
      if (typeof v === 'string') node[attribute] = v;
      else this.bad(`expected a string, found ${describeJson(v)}`, `${path}/${attribute}`);
    }
    const budget = value['stuck-after'];
    if (typeof budget === 'number') node['stuck-after'] = budget;
    else if (budget !== undefined)
      this.bad(
        `expected a number of milliseconds, found ${describeJson(budget)}`,
        `${path}/stuck-after`,
      );
    const args = this.array(value.args, `${path}/args`)?.map((a, i) =>
      this.expr(a, jsonPointer(`${path}/args`, i), depth + 1),
    );
    if (args?.length) node.args = args;
    const kwargs = this.keyed(value.kwargs, `${path}/kwargs`, depth + 1);
    if (kwargs && Object.keys(kwargs).length) node.kwargs = kwargs;
    const children = this.array(value.children, `${path}/children`)?.map((c, i) =>
      this.node(c, jsonPointer(`${path}/children`, i), depth + 1),
    );
    if (children?.length) node.children = children;
    const comments = this.comments(value.comments, `${path}/comments`);
    if (comments) node.comments = comments;
    return node;
  }

  private expr(value: unknown, path: string, depth: number): ExprJson {
    if (depth > MAX_DEPTH) {
      this.bad(`expressions nested deeper than ${MAX_DEPTH} levels`, path);
      return this.mark({ sym: 'error' });
    }
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return value === 0 ? 0 : value;
      this.bad(`expected a finite number, found ${String(value)}`, path);
      return this.mark({ sym: 'error' });
    }
    const shape = isPlainObject(value) ? Object.keys(value).sort().join(',') : '';
    const v = value as Json;
    switch (shape) {
      case '$':
        return this.name(
          v.$,
          `${path}/$`,
          isVarPath,
          'a key path such as "a/b" or "global:x"',
          (s) => ({ $: s }),
        );
      case 'sym':
        return this.name(v.sym, `${path}/sym`, isSymbolName, 'a symbol name', (s) => ({ sym: s }));
      case 'kw':
        return this.name(
          v.kw,
          `${path}/kw`,
          isKeywordName,
          'a keyword name (without the colon)',
          (s) => ({ kw: s }),
        );
      case 'args,call': {
        const args = this.array(v.args, `${path}/args`) ?? [];
        if (typeof v.call !== 'string') {
          this.bad(
            `expected a function name string, found ${describeJson(v.call)}`,
            `${path}/call`,
          );
          return this.mark({ sym: 'error' });
        }
        return {
          call: v.call,
          args: args.map((a, i) => this.expr(a, jsonPointer(`${path}/args`, i), depth + 1)),
        };
      }
      case 'list': {
        const items = this.array(v.list, `${path}/list`) ?? [];
        return {
          list: items.map((a, i) => this.expr(a, jsonPointer(`${path}/list`, i), depth + 1)),
        };
      }
      case 'map':
        return { map: this.keyed(v.map, `${path}/map`, depth + 1) ?? {} };
      default:
        this.bad(
          `expected an expression (${EXPRESSION_SHAPES}), found ${describeJson(value)}`,
          path,
        );
        return this.mark({ sym: 'error' });
    }
  }

  private name(
    value: unknown,
    path: string,
    valid: (s: string) => boolean,
    expected: string,
    make: (s: string) => ExprJson,
  ): ExprJson {
    if (typeof value === 'string' && valid(value)) return make(value);
    this.bad(`expected ${expected}, found ${describeJson(value)}`, path);
    return this.mark({ sym: 'error' });
  }

  /** kwargs and map literals: keyword names to expressions, order kept. */
  private keyed(value: unknown, path: string, depth: number): Record<string, ExprJson> | undefined {
    if (value === undefined) return undefined;
    if (!isPlainObject(value)) {
      this.bad(`expected an object, found ${describeJson(value)}`, path);
      return undefined;
    }
    const out: Record<string, ExprJson> = {};
    for (const key of Object.keys(value)) {
      const at = jsonPointer(path, key);
      if (!isKeywordName(key)) {
        this.bad(`'${key}' is not a valid keyword name`, at);
        continue;
      }
      defineOwn(out, key, this.expr(value[key], at, depth));
    }
    return out;
  }

  private comments(value: unknown, path: string): string[] | undefined {
    const lines = this.array(value, path);
    if (!lines) return undefined;
    const out: string[] = [];
    lines.forEach((line, i) => {
      if (typeof line === 'string' && isCommentText(line)) out.push(line);
      else
        this.bad(
          `expected a comment line (a string without line breaks), found ${describeJson(line)}`,
          jsonPointer(path, i),
        );
    });
    return out.length ? out : undefined;
  }

  private array(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value;
    this.bad(`expected an array, found ${describeJson(value)}`, path);
    return undefined;
  }

  private object(
    value: unknown,
    path: string,
    allowed: readonly string[],
    what: string,
  ): value is Json {
    if (!isPlainObject(value)) {
      this.bad(`expected ${what} (an object), found ${describeJson(value)}`, path);
      return false;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.bad(`unknown property '${key}' in ${what}`, jsonPointer(path, key));
    }
    return true;
  }

  private mark<T extends object>(value: T): T {
    this.broken.add(value);
    return value;
  }

  private bad(message: string, path: string): void {
    this.issues.push({ code: DslErrorCode.BadJson, message, path });
  }
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
