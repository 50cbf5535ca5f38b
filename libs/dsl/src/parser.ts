import type {
  CloseBracket,
  ListForm,
  MapForm,
  OpenBracket,
  Pos,
  Sexp,
  SourceFile,
  VectorForm,
} from './ast';
import { DslErrorCode, type SourceIssue } from './errors';
import {
  ATOM,
  CLOSE_CURLY,
  CLOSE_PAREN,
  CLOSE_SQUARE,
  END,
  Lexer,
  OPEN_CURLY,
  OPEN_PAREN,
  OPEN_SQUARE,
  type TokenKind,
} from './lexer';

/** Deeper nesting is reported instead of recursed into, so no input can overflow the stack. */
export const MAX_DEPTH = 200;

export interface ReadResult {
  file: SourceFile;
  errors: SourceIssue[];
}

/** A form being read. */
interface Frame {
  form: ListForm | VectorForm | MapForm;
  bracket: OpenBracket;
  closer: CloseBracket;
}

function isOpen(token: TokenKind): boolean {
  return token === OPEN_PAREN || token === OPEN_SQUARE || token === OPEN_CURLY;
}

function isClose(token: TokenKind): boolean {
  return token === CLOSE_PAREN || token === CLOSE_SQUARE || token === CLOSE_CURLY;
}

function frame(token: TokenKind, pos: Pos): Frame {
  const items: Sexp[] = [];
  if (token === OPEN_PAREN)
    return { form: { kind: 'list', items, pos }, bracket: '(', closer: ')' };
  if (token === OPEN_SQUARE)
    return { form: { kind: 'vector', items, pos }, bracket: '[', closer: ']' };
  return { form: { kind: 'map', items, pos }, bracket: '{', closer: '}' };
}

function openerOf(bracket: CloseBracket): OpenBracket {
  return bracket === ')' ? '(' : bracket === ']' ? '[' : '{';
}

/**
 * Reads the file into generic S-expressions, without recursion. Bracket errors are recovered
 * from: a closer that matches an enclosing opener closes the forms in between, a wrong closer that
 * matches nothing closes the current form, a closer outside any form is skipped, and the end of
 * the file closes whatever is still open. Each is reported.
 */
export function read(source: string): ReadResult {
  const lexer = new Lexer(source);
  const errors = lexer.errors;
  const forms: Sexp[] = [];
  // Forms currently being read, innermost last.
  const open: Frame[] = [];
  let items = forms;

  const finish = (): void => {
    open.pop();
    items = open.length ? open[open.length - 1].form.items : forms;
  };

  let token = lexer.next();
  for (;;) {
    if (token === ATOM) {
      items.push(lexer.atom);
    } else if (token === END) {
      // The end of the file closes whatever is still open, innermost first.
      while (open.length) {
        const { form, bracket, closer } = open[open.length - 1];
        errors.push({
          code: DslErrorCode.Unclosed,
          message: `unclosed '${bracket}' (expected '${closer}' before the end of the file)`,
          pos: form.pos,
        });
        finish();
        items.push(form);
      }
      break;
    } else if (isOpen(token)) {
      const pos = lexer.pos;
      if (open.length >= MAX_DEPTH) {
        errors.push({
          code: DslErrorCode.TooDeep,
          message: `forms nested deeper than ${MAX_DEPTH} levels`,
          pos,
        });
        // Consumes the too-deep form, still reporting the lexical errors inside it.
        for (let depth = 1; depth > 0;) {
          const t = lexer.next();
          if (t === END) break;
          if (isOpen(t)) depth++;
          else if (isClose(t)) depth--;
        }
        items.push({ kind: 'error', pos });
      } else {
        const f = frame(token, pos);
        open.push(f);
        items = f.form.items;
      }
    } else {
      const bracket = String.fromCharCode(token) as CloseBracket;
      const top = open.length ? open[open.length - 1] : undefined;
      if (!top) {
        errors.push({
          code: DslErrorCode.UnexpectedToken,
          message: `unexpected '${bracket}' (no matching '${openerOf(bracket)}')`,
          pos: lexer.pos,
        });
      } else if (top.closer === bracket) {
        finish();
        items.push(top.form);
      } else {
        // Either it belongs to an enclosing form (this one was left open, the closer is kept for
        // the enclosing form) or it matches nothing (most likely a typo for this form's closer).
        const { line, column } = top.form.pos;
        errors.push({
          code: DslErrorCode.UnexpectedToken,
          message: `expected '${top.closer}' to close '${top.bracket}' at ${line}:${column}, found '${bracket}'`,
          pos: lexer.pos,
        });
        finish();
        items.push(top.form);
        if (open.some((o) => o.closer === bracket)) continue; // read the closer again
      }
    }
    token = lexer.next();
  }
  return { file: { forms, comments: lexer.comments }, errors };
}
