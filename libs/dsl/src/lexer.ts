import type { Atom, Comment, Pos } from './ast';
import { DslErrorCode, type SourceIssue } from './errors';
import { NUMBER_RE, isVarPath } from './syntax';

/** What `Lexer.next` found. Brackets are reported as their character codes. */
export const END = 0;
export const ATOM = 1;
export const OPEN_PAREN = 0x28; // (
export const CLOSE_PAREN = 0x29; // )
export const OPEN_SQUARE = 0x5b; // [
export const CLOSE_SQUARE = 0x5d; // ]
export const OPEN_CURLY = 0x7b; // {
export const CLOSE_CURLY = 0x7d; // }
export type TokenKind = number;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SEMICOLON = 0x3b;
const COLON = 0x3a;
const DOLLAR = 0x24;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const BOM = 0xfeff;

// Character classes of ASCII code units (see syntax.ts for the rules they implement).
const WHITESPACE = 1;
/** Ends an atom: whitespace, brackets, `"` and `;`. */
const DELIMITER = 2;
/** May appear in a symbol or keyword name (`NAME` of syntax.ts). */
const NAME_CHAR = 4;
const CLASS = new Uint8Array(128);
for (const ch of ' \t\n\r\f\v') CLASS[ch.charCodeAt(0)] = WHITESPACE | DELIMITER;
for (const ch of '()[]{}";') CLASS[ch.charCodeAt(0)] = DELIMITER;
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-*/<>=!?%&|^~.')
  CLASS[ch.charCodeAt(0)] = NAME_CHAR;

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** `^[+-]?\.?[0-9]` on `text` from `start`: atoms that begin like a number must be one. */
function looksNumericAt(text: string, start: number): boolean {
  let k = start;
  let code = text.charCodeAt(k);
  if (code === PLUS || code === MINUS) code = text.charCodeAt(++k);
  if (code === DOT) code = text.charCodeAt(++k);
  return isDigit(code);
}

/**
 * Splits source text into tokens on demand (`next`), collecting comments and lexical errors on
 * the way. Never throws: a malformed atom becomes an `error` atom (so the reader keeps the shape
 * of the file) and its problem is reported once, here.
 *
 * Lines end at `\n`, `\r\n` or `\r`, so positions match what editors show; columns count UTF-16
 * code units.
 */
export class Lexer {
  readonly comments: Comment[] = [];
  readonly errors: SourceIssue[] = [];
  /** Position of the token `next` returned last. */
  pos: Pos = { line: 1, column: 1, offset: 0 };
  /** The atom, when `next` returned ATOM. */
  atom: Atom = { kind: 'nil', pos: this.pos };

  private i = 0;
  private line = 1;
  /** Offset where the current line starts. */
  private lineStart = 0;

  constructor(private readonly source: string) {}

  next(): TokenKind {
    const source = this.source;
    const length = source.length;
    let i = this.i;
    for (;;) {
      if (i >= length) {
        this.i = i;
        return END;
      }
      const code = source.charCodeAt(i);
      if (code < 128 ? (CLASS[code] & WHITESPACE) !== 0 : code === BOM) {
        i++;
        if (code === LF || (code === CR && source.charCodeAt(i) !== LF)) {
          this.line++;
          this.lineStart = i;
        }
        continue;
      }
      const pos: Pos = { line: this.line, column: i - this.lineStart + 1, offset: i };
      this.pos = pos;
      switch (code) {
        case SEMICOLON: {
          let end = i + 1;
          while (end < length) {
            const c = source.charCodeAt(end);
            if (c === LF || c === CR) break;
            end++;
          }
          const text =
            source.charCodeAt(i + 1) === 0x20 ? source.slice(i + 2, end) : source.slice(i + 1, end);
          this.comments.push({ text, pos });
          i = end;
          continue;
        }
        case OPEN_PAREN:
        case CLOSE_PAREN:
        case OPEN_SQUARE:
        case CLOSE_SQUARE:
        case OPEN_CURLY:
        case CLOSE_CURLY:
          this.i = i + 1;
          return code;
        case QUOTE:
          this.i = i;
          this.string(pos);
          return ATOM;
        default:
          this.i = i;
          this.bare(pos);
          return ATOM;
      }
    }
  }

  /** A string literal starting at `pos` (on its opening quote). */
  private string(pos: Pos): void {
    const source = this.source;
    const length = source.length;
    let i = this.i + 1;
    let value = '';
    let chunk = i;
    let closed = false;
    while (i < length) {
      const c = source.charCodeAt(i);
      if (c === QUOTE) {
        value += source.slice(chunk, i);
        i++;
        closed = true;
        break;
      }
      if (c === BACKSLASH) {
        value += source.slice(chunk, i);
        const escapePos: Pos = { line: this.line, column: i - this.lineStart + 1, offset: i };
        i++;
        chunk = i;
        if (i >= length) break;
        const e = source[i];
        const replacement = Object.prototype.hasOwnProperty.call(ESCAPES, e)
          ? ESCAPES[e]
          : undefined;
        if (replacement === undefined) {
          this.errors.push({
            code: DslErrorCode.BadEscape,
            message: `unknown escape '\\${e}' in string (expected \\", \\\\, \\n or \\t)`,
            pos: escapePos,
          });
          value += e;
        } else {
          value += replacement;
        }
        i++;
        chunk = i;
        if (e === '\n' || (e === '\r' && source.charCodeAt(i) !== LF)) {
          this.line++;
          this.lineStart = i;
        }
        continue;
      }
      i++;
      if (c === LF || (c === CR && source.charCodeAt(i) !== LF)) {
        this.line++;
        this.lineStart = i;
      }
    }
    this.i = i;
    if (closed) {
      this.atom = { kind: 'string', value, pos };
    } else {
      this.fail(DslErrorCode.UnterminatedString, `unterminated string (expected a closing '"')`);
    }
  }

  /** Any other atom: up to the next delimiter. */
  private bare(pos: Pos): void {
    const source = this.source;
    const length = source.length;
    const start = this.i;
    let i = start;
    // Code units that may not appear in a symbol or keyword name.
    let others = 0;
    while (i < length) {
      const c = source.charCodeAt(i);
      if (c < 128) {
        const cls = CLASS[c];
        if ((cls & DELIMITER) !== 0) break;
        if ((cls & NAME_CHAR) === 0) others++;
      } else if (c === BOM) {
        break;
      } else {
        others++;
      }
      i++;
    }
    this.i = i;
    const text = source.slice(start, i);
    const first = text.charCodeAt(0);
    if (looksNumericAt(text, 0)) {
      if (!NUMBER_RE.test(text))
        return this.fail(DslErrorCode.BadNumber, `invalid number '${text}'`);
      const value = Number(text);
      if (!Number.isFinite(value))
        return this.fail(DslErrorCode.BadNumber, `number '${text}' is out of range`);
      // -0 prints as 0, so it reads as 0 too.
      this.atom = { kind: 'number', value: value === 0 ? 0 : value, pos };
      return;
    }
    if (text === 'true' || text === 'false') {
      this.atom = { kind: 'boolean', value: text === 'true', pos };
      return;
    }
    if (text === 'nil') {
      this.atom = { kind: 'nil', pos };
      return;
    }
    if (first === COLON) {
      if (text.length === 1)
        return this.fail(DslErrorCode.BadAtom, `expected a keyword name after ':'`);
      // KEYWORD_PATTERN: name characters only (the colon is the one other), not numeric-looking.
      if (others !== 1 || looksNumericAt(text, 1))
        return this.fail(DslErrorCode.BadAtom, `invalid keyword '${text}'`);
      this.atom = { kind: 'keyword', name: text.slice(1), pos };
      return;
    }
    if (first === DOLLAR) {
      if (text.length === 1) return this.fail(DslErrorCode.BadAtom, `expected a key after '$'`);
      const path = text.slice(1);
      // Without a scope prefix (the dollar is the only other character), VAR_PATTERN is
      // non-empty name segments separated by single slashes.
      const valid =
        others === 1
          ? path.charCodeAt(0) !== SLASH &&
            path.charCodeAt(path.length - 1) !== SLASH &&
            !path.includes('//')
          : isVarPath(path);
      if (!valid) return this.fail(DslErrorCode.BadAtom, `invalid key read '${text}'`);
      this.atom = { kind: 'var', path, pos };
      return;
    }
    // SYMBOL_PATTERN: name characters only; numeric-looking text and true/false/nil are handled
    // above.
    if (others !== 0) return this.fail(DslErrorCode.BadAtom, `invalid symbol '${text}'`);
    this.atom = { kind: 'symbol', name: text, pos };
  }

  private fail(code: DslErrorCode, message: string): void {
    this.errors.push({ code, message, pos: this.pos });
    this.atom = { kind: 'error', pos: this.pos };
  }
}
