import type { ExprJson } from '../model/json';
import { jsonPointer } from '../validate/issue';

/**
 * Reads one expression of the tree language (DSL.md "Lexical", "Expressions") into its canonical
 * JSON, as `@canopy/dsl` reads expressions inside a file, with the position of every part so
 * that a problem found later (by the validator, at a JSON pointer) is reported where it is.
 * Debugger conditions arrive as text and the engine cannot depend on the DSL; the CLI's tests
 * check both readers against each other.
 */

export interface Position {
  line: number;
  column: number;
}

export class ReadError extends Error {
  constructor(
    message: string,
    readonly at: Position,
  ) {
    super(message);
  }
}

export interface ReadExpr {
  expr: ExprJson;
  /** JSON pointer below the expression ('' for itself) -> where it starts. */
  positions: Map<string, Position>;
}

/** Same limit as the DSL reader: no input can overflow the stack. */
const MAX_DEPTH = 200;

const NAME = '[A-Za-z0-9_+\\-*/<>=!?%&|^~.]+';
const SEGMENT = '[A-Za-z0-9_+\\-*<>=!?%&|^~.]+';
const NAME_RE = new RegExp(`^${NAME}$`);
const NUMERIC_RE = /^[+-]?\.?[0-9]/;
const NUMBER_RE = /^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const VAR_RE = new RegExp(`^(?:[A-Za-z][A-Za-z0-9_-]*:)?${SEGMENT}(?:/${SEGMENT})*$`);
const WHITESPACE = ' \t\n\r\f\v\uFEFF';
const DELIMITERS = `${WHITESPACE}()[]{}";`;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };
const CLOSERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

export function readExpr(text: string): ReadExpr {
  const form = new Reader(text).read();
  const positions = new Map<string, Position>();
  return { expr: toJson(form, '', positions), positions };
}

/** What the reader makes of the text, before it becomes JSON. */
type Form =
  | { kind: 'atom'; at: Position; value: ExprJson; text: string }
  | { kind: '(' | '[' | '{'; at: Position; items: Form[] };

function toJson(form: Form, path: string, positions: Map<string, Position>): ExprJson {
  positions.set(path, form.at);
  if (form.kind === 'atom') return form.value;
  const items = form.items;
  if (form.kind === '[')
    return { list: items.map((x, j) => toJson(x, `${path}/list/${j}`, positions)) };
  if (form.kind === '{') {
    const map: Record<string, ExprJson> = {};
    for (let k = 0; k < items.length; k += 2) {
      const key = items[k];
      if (
        key.kind !== 'atom' ||
        typeof key.value !== 'object' ||
        key.value === null ||
        !('kw' in key.value)
      ) {
        throw new ReadError(`expected a keyword key in a map, found ${shown(key)}`, key.at);
      }
      const name = key.value.kw;
      const value = items[k + 1];
      if (value === undefined)
        throw new ReadError(`missing value for key :${name} in a map`, key.at);
      if (Object.hasOwn(map, name)) throw new ReadError(`duplicate key :${name} in a map`, key.at);
      Object.defineProperty(map, name, {
        value: toJson(value, jsonPointer(`${path}/map`, name), positions),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { map };
  }
  const head = items[0];
  if (head === undefined) {
    throw new ReadError(
      `empty expression '()' (expected a function call such as (not $done))`,
      form.at,
    );
  }
  if (
    head.kind !== 'atom' ||
    typeof head.value !== 'object' ||
    head.value === null ||
    !('sym' in head.value)
  ) {
    throw new ReadError(`expected a function name after '(', found ${shown(head)}`, head.at);
  }
  const args: ExprJson[] = [];
  for (let j = 1; j < items.length; j++)
    args.push(toJson(items[j], `${path}/args/${j - 1}`, positions));
  return { call: head.value.sym, args };
}

function shown(form: Form): string {
  if (form.kind !== 'atom')
    return form.kind === '(' ? 'a call' : form.kind === '[' ? 'a list' : 'a map';
  return typeof form.value === 'string'
    ? `the string ${JSON.stringify(form.value)}`
    : `'${form.text}'`;
}

class Reader {
  private i = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  read(): Form {
    this.skip();
    if (this.i >= this.text.length) throw new ReadError('expected an expression', this.here());
    const form = this.form(0);
    this.skip();
    if (this.i < this.text.length) {
      throw new ReadError('expected one expression, found more text after it', this.here());
    }
    return form;
  }

  private here(): Position {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private advance(): string {
    const c = this.text[this.i++];
    if (c === '\n' || (c === '\r' && this.text[this.i] !== '\n')) {
      this.line++;
      this.lineStart = this.i;
    }
    return c;
  }

  /** Whitespace and `;` comments. */
  private skip(): void {
    const text = this.text;
    while (this.i < text.length) {
      const c = text[this.i];
      if (WHITESPACE.includes(c)) this.advance();
      else if (c === ';') while (this.i < text.length && !'\r\n'.includes(text[this.i])) this.i++;
      else return;
    }
  }

  private form(depth: number): Form {
    const at = this.here();
    const c = this.text[this.i];
    if (c === '(' || c === '[' || c === '{') {
      if (depth >= MAX_DEPTH)
        throw new ReadError(`forms nested deeper than ${MAX_DEPTH} levels`, at);
      return this.open(c, depth, at);
    }
    if (c === ')' || c === ']' || c === '}')
      throw new ReadError(`unexpected '${c}' (no matching opener)`, at);
    if (c === '"') return { kind: 'atom', at, value: this.string(at), text: '' };
    return this.atom(at);
  }

  private open(bracket: '(' | '[' | '{', depth: number, at: Position): Form {
    this.advance();
    const closer = CLOSERS[bracket];
    const items: Form[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.text.length) {
        throw new ReadError(`unclosed '${bracket}' (expected '${closer}' before the end)`, at);
      }
      const c = this.text[this.i];
      if (c === closer) {
        this.advance();
        return { kind: bracket, at, items };
      }
      if (c === ')' || c === ']' || c === '}') {
        const message = `expected '${closer}' to close '${bracket}' at ${at.line}:${at.column}, found '${c}'`;
        throw new ReadError(message, this.here());
      }
      items.push(this.form(depth + 1));
    }
  }

  private string(at: Position): ExprJson {
    this.advance();
    let value = '';
    while (this.i < this.text.length) {
      const escapeAt = this.here();
      const c = this.advance();
      if (c === '"') return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      if (this.i >= this.text.length) break;
      const e = this.advance();
      const replacement = Object.hasOwn(ESCAPES, e) ? ESCAPES[e] : undefined;
      if (replacement === undefined) {
        throw new ReadError(
          `unknown escape '\\${e}' in string (expected \\", \\\\, \\n or \\t)`,
          escapeAt,
        );
      }
      value += replacement;
    }
    throw new ReadError(`unterminated string (expected a closing '"')`, at);
  }

  private atom(at: Position): Form {
    const start = this.i;
    while (this.i < this.text.length && !DELIMITERS.includes(this.text[this.i])) this.i++;
    const text = this.text.slice(start, this.i);
    return { kind: 'atom', at, value: atomValue(text, at), text };
  }
}

function atomValue(text: string, at: Position): ExprJson {
  if (NUMERIC_RE.test(text)) {
    const value = Number(text);
    if (!NUMBER_RE.test(text)) throw new ReadError(`invalid number '${text}'`, at);
    if (!Number.isFinite(value)) throw new ReadError(`number '${text}' is out of range`, at);
    return value === 0 ? 0 : value;
  }
  if (text[0] === ':') {
    const name = text.slice(1);
    if (name === '') throw new ReadError(`expected a keyword name after ':'`, at);
    if (!NAME_RE.test(name) || NUMERIC_RE.test(name))
      throw new ReadError(`invalid keyword '${text}'`, at);
    return { kw: name };
  }
  if (text[0] === '$') {
    const path = text.slice(1);
    if (path === '') throw new ReadError(`expected a key after '$'`, at);
    if (!VAR_RE.test(path)) throw new ReadError(`invalid key read '${text}'`, at);
    return { $: path };
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'nil') return null;
  if (!NAME_RE.test(text)) throw new ReadError(`invalid symbol '${text}'`, at);
  return { sym: text };
}
