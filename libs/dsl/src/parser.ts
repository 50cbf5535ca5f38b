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

type Open = ListForm | VectorForm | MapForm;

function isOpen(token: TokenKind): boolean {
  return token === OPEN_PAREN || token === OPEN_SQUARE || token === OPEN_CURLY;
}

function isClose(token: TokenKind): boolean {
  return token === CLOSE_PAREN || token === CLOSE_SQUARE || token === CLOSE_CURLY;
}

function opened(token: TokenKind, pos: Pos): Open {
  const items: Sexp[] = [];
  if (token === OPEN_PAREN) return { kind: 'list', items, pos };
  if (token === OPEN_SQUARE) return { kind: 'vector', items, pos };
  return { kind: 'map', items, pos };
}

function openerOf(form: Open): OpenBracket {
  return form.kind === 'list' ? '(' : form.kind === 'vector' ? '[' : '{';
}

function closerOf(form: Open): CloseBracket {
  return form.kind === 'list' ? ')' : form.kind === 'vector' ? ']' : '}';
}

function openerOfCloser(bracket: CloseBracket): OpenBracket {
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
  const open: Open[] = [];
  let items = forms;

  /** Closes the innermost form: it becomes an item of the one around it. */
  const close = (): void => {
    const form = open.pop() as Open;
    items = open.length ? open[open.length - 1].items : forms;
    items.push(form);
  };

  let token = lexer.next();
  for (;;) {
    if (token === ATOM) {
      items.push(lexer.atom);
    } else if (token === END) {
      // The end of the file closes whatever is still open, innermost first.
      while (open.length) {
        const form = open[open.length - 1];
        errors.push({
          code: DslErrorCode.Unclosed,
          message: `unclosed '${openerOf(form)}' (expected '${closerOf(form)}' before the end of the file)`,
          pos: form.pos,
        });
        close();
      }
      break;
    } else if (isOpen(token)) {
      const pos = lexer.here();
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
        const form = opened(token, pos);
        open.push(form);
        items = form.items;
      }
    } else {
      const bracket = String.fromCharCode(token) as CloseBracket;
      const top = open.length ? open[open.length - 1] : undefined;
      if (!top) {
        errors.push({
          code: DslErrorCode.UnexpectedToken,
          message: `unexpected '${bracket}' (no matching '${openerOfCloser(bracket)}')`,
          pos: lexer.here(),
        });
      } else if (closerOf(top) === bracket) {
        close();
      } else {
        // Either it belongs to an enclosing form (this one was left open, the closer is kept for
        // the enclosing form) or it matches nothing (most likely a typo for this form's closer).
        const { line, column } = top.pos;
        errors.push({
          code: DslErrorCode.UnexpectedToken,
          message: `expected '${closerOf(top)}' to close '${openerOf(top)}' at ${line}:${column}, found '${bracket}'`,
          pos: lexer.here(),
        });
        close();
        if (open.some((o) => closerOf(o) === bracket)) continue; // read the closer again
      }
    }
    token = lexer.next();
  }
  return { file: { forms, comments: lexer.comments }, errors };
}
