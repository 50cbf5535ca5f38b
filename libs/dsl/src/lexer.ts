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
  /** The atom, when `next` returned ATOM. */
  atom: Atom = { kind: 'nil', pos: { line: 1, column: 1, offset: 0 } };

  private i = 0;
  /** Offset of the bracket `next` returned last. */
  private start = 0;
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
      switch (code) {
        case SEMICOLON: {
          const pos: Pos = { line: this.line, column: i - this.lineStart + 1, offset: i };
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
          this.start = i;
          this.i = i + 1;
          return code;
        case QUOTE:
          this.i = i;
          this.string({ line: this.line, column: i - this.lineStart + 1, offset: i });
          return ATOM;
        default:
          this.i = i;
          this.bare({ line: this.line, column: i - this.lineStart + 1, offset: i });
          return ATOM;
      }
    }
  }

  /**
   * The position of the bracket `next` returned last (made on demand: most closers never need
   * one). Valid until `next` is called again.
   */
  here(): Pos {
    return { line: this.line, column: this.start - this.lineStart + 1, offset: this.start };
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
      this.fail(
        pos,
        DslErrorCode.UnterminatedString,
        `unterminated string (expected a closing '"')`,
      );
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
    const first = source.charCodeAt(start);
    if (looksNumericAt(source, start)) return this.number(pos, start, i);
    if (first === COLON) {
      if (i - start === 1)
        return this.fail(pos, DslErrorCode.BadAtom, `expected a keyword name after ':'`);
      // KEYWORD_PATTERN: name characters only (the colon is the one other), not numeric-looking.
      if (others !== 1 || looksNumericAt(source, start + 1))
        return this.fail(pos, DslErrorCode.BadAtom, `invalid keyword '${source.slice(start, i)}'`);
      this.atom = { kind: 'keyword', name: source.slice(start + 1, i), pos };
      return;
    }
    if (first === DOLLAR) {
      if (i - start === 1) return this.fail(pos, DslErrorCode.BadAtom, `expected a key after '$'`);
      const path = source.slice(start + 1, i);
      // Without a scope prefix (the dollar is the only other character), VAR_PATTERN is
      // non-empty name segments separated by single slashes.
      const valid =
        others === 1
          ? path.charCodeAt(0) !== SLASH &&
            path.charCodeAt(path.length - 1) !== SLASH &&
            !path.includes('//')
          : isVarPath(path);
      if (!valid)
        return this.fail(pos, DslErrorCode.BadAtom, `invalid key read '${source.slice(start, i)}'`);
      this.atom = { kind: 'var', path, pos };
      return;
    }
    const text = source.slice(start, i);
    if (text === 'true' || text === 'false') {
      this.atom = { kind: 'boolean', value: text === 'true', pos };
      return;
    }
    if (text === 'nil') {
      this.atom = { kind: 'nil', pos };
      return;
    }
    // SYMBOL_PATTERN: name characters only; numeric-looking text and true/false/nil are handled
    // above.
    if (others !== 0) return this.fail(pos, DslErrorCode.BadAtom, `invalid symbol '${text}'`);
    this.atom = { kind: 'symbol', name: text, pos };
  }

  /** An atom that begins like a number, from `start` to `end`: it must be one. */
  private number(pos: Pos, start: number, end: number): void {
    const source = this.source;
    // Plain integers of up to 15 digits (exact in a double) are common enough to skip the regex.
    let k = start;
    const sign = source.charCodeAt(k);
    if (sign === PLUS || sign === MINUS) k++;
    let value = 0;
    if (end - k <= 15) {
      for (; k < end; k++) {
        const c = source.charCodeAt(k);
        if (!isDigit(c)) break;
        value = value * 10 + (c - 0x30);
      }
    }
    if (k !== end) {
      const text = source.slice(start, end);
      if (!NUMBER_RE.test(text))
        return this.fail(pos, DslErrorCode.BadNumber, `invalid number '${text}'`);
      value = Number(text);
      if (!Number.isFinite(value))
        return this.fail(pos, DslErrorCode.BadNumber, `number '${text}' is out of range`);
    } else if (sign === MINUS) {
      value = -value;
    }
    // -0 prints as 0, so it reads as 0 too.
    this.atom = { kind: 'number', value: value === 0 ? 0 : value, pos };
  }

  private fail(pos: Pos, code: DslErrorCode, message: string): void {
    this.errors.push({ code, message, pos });
    this.atom = { kind: 'error', pos };
  }
}
