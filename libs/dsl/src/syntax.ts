/**
 * Lexical rules shared by the lexer, the JSON validator and the printer: a name that passes these
 * checks prints as text that reads back as the same name, which is what makes JSON -> text -> JSON
 * the identity.
 */

const NAME = `[A-Za-z0-9_+\\-*/<>=!?%&|^~.]+`;
const SEGMENT = `[A-Za-z0-9_+\\-*<>=!?%&|^~.]+`;
const NOT_NUMERIC = `(?![+-]?\\.?[0-9])`;

/** Regex sources, also used as `pattern`s of the JSON Schema. */
export const SYMBOL_PATTERN = `^${NOT_NUMERIC}(?!(?:true|false|nil)$)${NAME}$`;
export const KEYWORD_PATTERN = `^${NOT_NUMERIC}${NAME}$`;
export const VAR_PATTERN = `^(?:[A-Za-z][A-Za-z0-9_-]*:)?${SEGMENT}(?:/${SEGMENT})*$`;
export const COMMENT_PATTERN = '^[^\\r\\n]*$';

const SYMBOL_RE = new RegExp(SYMBOL_PATTERN);
const KEYWORD_RE = new RegExp(KEYWORD_PATTERN);
const VAR_RE = new RegExp(VAR_PATTERN);
const COMMENT_RE = new RegExp(COMMENT_PATTERN);

export const NUMBER_RE = /^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** Atoms that begin like a number must be one (`3abc` is an error, not a symbol). */
export function looksNumeric(text: string): boolean {
  return /^[+-]?\.?[0-9]/.test(text);
}

export function isSymbolName(name: string): boolean {
  return SYMBOL_RE.test(name);
}

/** A keyword without its colon. */
export function isKeywordName(name: string): boolean {
  return KEYWORD_RE.test(name);
}

/** A `$` read without its dollar: `key`, `a/b/c`, `scope:key`. */
export function isVarPath(path: string): boolean {
  return VAR_RE.test(path);
}

/** Characters that end an atom. */
export function isDelimiter(ch: string): boolean {
  return isWhitespace(ch) || '()[]{}";'.includes(ch);
}

export function isWhitespace(ch: string): boolean {
  return (
    ch === ' ' ||
    ch === '\t' ||
    ch === '\n' ||
    ch === '\r' ||
    ch === '\f' ||
    ch === '\v' ||
    ch === '\uFEFF'
  );
}

/** Comment text that survives printing: one line. */
export function isCommentText(text: string): boolean {
  return COMMENT_RE.test(text);
}

/** Canonical number text; -0 reads back as 0, so it is written as 0. */
export function formatNumber(value: number): string {
  return Object.is(value, -0) ? '0' : String(value);
}
