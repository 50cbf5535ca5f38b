import type { CloseBracket, OpenBracket, Pos, Sexp, SourceFile, Token } from './ast';
import { DslErrorCode, type SourceIssue } from './errors';
import { tokenize } from './lexer';

/** Deeper nesting is reported instead of recursed into, so no input can overflow the stack. */
export const MAX_DEPTH = 200;

const CLOSER: Record<OpenBracket, CloseBracket> = { '(': ')', '[': ']', '{': '}' };
const KIND = { '(': 'list', '[': 'vector', '{': 'map' } as const;

export interface ReadResult {
  file: SourceFile;
  errors: SourceIssue[];
}

/**
 * Reads the file into generic S-expressions. Bracket errors are recovered from: a closer that
 * matches an enclosing opener closes the forms in between, a wrong closer that matches nothing
 * closes the current form, a closer outside any form is skipped, and the end of the file closes
 * whatever is still open. Each is reported.
 */
export function read(source: string): ReadResult {
  const { tokens, comments, errors } = tokenize(source);
  const forms: Sexp[] = [];
  let i = 0;
  // Openers currently being read, innermost last.
  const open: { bracket: OpenBracket; pos: Pos }[] = [];

  const unclosed = (bracket: OpenBracket, pos: Pos, found?: Token): void => {
    const expected = CLOSER[bracket];
    errors.push(
      found
        ? {
            code: DslErrorCode.UnexpectedToken,
            message: `expected '${expected}' to close '${bracket}' at ${pos.line}:${pos.column}, found '${found.text}'`,
            pos: found.pos,
          }
        : {
            code: DslErrorCode.Unclosed,
            message: `unclosed '${bracket}' (expected '${expected}' before the end of the file)`,
            pos,
          },
    );
  };

  const skipBalanced = (): void => {
    // Consumes one too-deep form without recursion.
    let depth = 0;
    do {
      const t = tokens[i++];
      if (t.kind === 'open') depth++;
      else if (t.kind === 'close') depth--;
    } while (depth > 0 && i < tokens.length);
  };

  const readForm = (): Sexp | undefined => {
    const token = tokens[i];
    if (token.kind === 'close') {
      errors.push({
        code: DslErrorCode.UnexpectedToken,
        message: `unexpected '${token.text}' (no matching '${openerOf(token.bracket)}')`,
        pos: token.pos,
      });
      i++;
      return undefined;
    }
    if (token.kind !== 'open') {
      i++;
      const { text: _text, ...atom } = token;
      return atom;
    }
    if (open.length >= MAX_DEPTH) {
      errors.push({
        code: DslErrorCode.TooDeep,
        message: `forms nested deeper than ${MAX_DEPTH} levels`,
        pos: token.pos,
      });
      skipBalanced();
      return { kind: 'error', pos: token.pos };
    }
    i++;
    open.push({ bracket: token.bracket, pos: token.pos });
    const items: Sexp[] = [];
    const closer = CLOSER[token.bracket];
    for (;;) {
      if (i >= tokens.length) {
        unclosed(token.bracket, token.pos);
        break;
      }
      const next = tokens[i];
      if (next.kind === 'close') {
        if (next.bracket === closer) {
          i++;
          break;
        }
        // Either it belongs to an enclosing form (this one was left open, the closer is kept for
        // the enclosing form) or it matches nothing (most likely a typo for this form's closer).
        unclosed(token.bracket, token.pos, next);
        if (!open.some((o) => CLOSER[o.bracket] === next.bracket)) i++;
        break;
      }
      const item = readForm();
      if (item) items.push(item);
    }
    open.pop();
    return { kind: KIND[token.bracket], items, pos: token.pos };
  };

  while (i < tokens.length) {
    const form = readForm();
    if (form) forms.push(form);
  }
  return { file: { forms, comments }, errors };
}

function openerOf(bracket: CloseBracket): OpenBracket {
  return bracket === ')' ? '(' : bracket === ']' ? '[' : '{';
}
