import type { CloseBracket, Comment, OpenBracket, Pos, Token } from './ast';
import { DslErrorCode, type SourceIssue } from './errors';
import {
  NUMBER_RE,
  isDelimiter,
  isKeywordName,
  isSymbolName,
  isVarPath,
  isWhitespace,
  looksNumeric,
} from './syntax';

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
  errors: SourceIssue[];
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/**
 * Splits source text into tokens and comments. Never throws: a malformed atom becomes an `error`
 * token (so the reader keeps the shape of the file) and its problem is reported once, here.
 */
export function tokenize(source: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const errors: SourceIssue[] = [];
  let i = 0;
  let line = 1;
  let column = 1;

  const here = (): Pos => ({ line, column, offset: i });
  // \r\n, \r and \n all end a line, so positions match what editors show.
  const advance = (): void => {
    const ch = source[i];
    i++;
    if (ch === '\n' || (ch === '\r' && source[i] !== '\n')) {
      line++;
      column = 1;
    } else {
      column++;
    }
  };

  while (i < source.length) {
    const ch = source[i];
    if (isWhitespace(ch)) {
      advance();
      continue;
    }
    const pos = here();
    if (ch === ';') {
      const start = i + 1;
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') advance();
      const body = source.slice(start, i);
      comments.push({ text: body.startsWith(' ') ? body.slice(1) : body, pos });
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      advance();
      tokens.push({ kind: 'open', bracket: ch as OpenBracket, pos, text: ch });
      continue;
    }
    if (ch === ')' || ch === ']' || ch === '}') {
      advance();
      tokens.push({ kind: 'close', bracket: ch as CloseBracket, pos, text: ch });
      continue;
    }
    if (ch === '"') {
      advance();
      let value = '';
      let closed = false;
      while (i < source.length) {
        const c = source[i];
        if (c === '"') {
          advance();
          closed = true;
          break;
        }
        if (c === '\\') {
          const escapePos = here();
          advance();
          if (i >= source.length) break;
          const e = source[i];
          const replacement = Object.prototype.hasOwnProperty.call(ESCAPES, e)
            ? ESCAPES[e]
            : undefined;
          if (replacement === undefined) {
            errors.push({
              code: DslErrorCode.BadEscape,
              message: `unknown escape '\\${e}' in string (expected \\", \\\\, \\n or \\t)`,
              pos: escapePos,
            });
            value += e;
          } else {
            value += replacement;
          }
          advance();
          continue;
        }
        value += c;
        advance();
      }
      const text = source.slice(pos.offset, i);
      if (!closed) {
        errors.push({
          code: DslErrorCode.UnterminatedString,
          message: `unterminated string (expected a closing '"')`,
          pos,
        });
        tokens.push({ kind: 'error', pos, text });
      } else {
        tokens.push({ kind: 'string', value, pos, text });
      }
      continue;
    }
    while (i < source.length && !isDelimiter(source[i])) advance();
    const text = source.slice(pos.offset, i);
    const token = classifyAtom(text, pos, errors);
    tokens.push(token);
  }
  return { tokens, comments, errors };
}

function classifyAtom(text: string, pos: Pos, errors: SourceIssue[]): Token {
  const fail = (code: DslErrorCode, message: string): Token => {
    errors.push({ code, message, pos });
    return { kind: 'error', pos, text };
  };
  if (looksNumeric(text)) {
    if (!NUMBER_RE.test(text)) return fail(DslErrorCode.BadNumber, `invalid number '${text}'`);
    const value = Number(text);
    if (!Number.isFinite(value))
      return fail(DslErrorCode.BadNumber, `number '${text}' is out of range`);
    // -0 prints as 0, so it reads as 0 too.
    return { kind: 'number', value: value === 0 ? 0 : value, pos, text };
  }
  if (text === 'true' || text === 'false')
    return { kind: 'boolean', value: text === 'true', pos, text };
  if (text === 'nil') return { kind: 'nil', pos, text };
  if (text.startsWith(':')) {
    const name = text.slice(1);
    if (name === '') return fail(DslErrorCode.BadAtom, `expected a keyword name after ':'`);
    if (!isKeywordName(name)) return fail(DslErrorCode.BadAtom, `invalid keyword '${text}'`);
    return { kind: 'keyword', name, pos, text };
  }
  if (text.startsWith('$')) {
    const path = text.slice(1);
    if (path === '') return fail(DslErrorCode.BadAtom, `expected a key after '$'`);
    if (!isVarPath(path)) return fail(DslErrorCode.BadAtom, `invalid key read '${text}'`);
    return { kind: 'var', path, pos, text };
  }
  if (!isSymbolName(text)) return fail(DslErrorCode.BadAtom, `invalid symbol '${text}'`);
  return { kind: 'symbol', name: text, pos, text };
}
