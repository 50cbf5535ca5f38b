import { validateTrees, type TreeDocument, type TreeLimits } from '@canopy/engine';
import type { Pos, SourceFile } from './ast';
import {
  DEFAULT_FILE,
  DslErrorCode,
  fromTreeIssue,
  type DslError,
  type Issue,
  type SourceIssue,
} from './errors';
import { readDocument } from './from-json';
import { read } from './parser';
import { print } from './printer';
import { type Conversion, toDocument } from './to-json';

export interface CompileOptions {
  /** Shown in errors; default `<input>`. */
  file?: string;
  /** Names of trees in other registered files that `(subtree "name")` may reference. */
  knownTrees?: readonly string[];
  /**
   * Accept `(subtree "name")` references to trees that are neither in the file nor in
   * `knownTrees`: for a first pass over several files that only collects their tree names.
   */
  lenientSubtrees?: boolean;
  /** Node count, depth and expression size limits; default the engine's DEFAULT_TREE_LIMITS. */
  limits?: TreeLimits;
}

export interface CompileResult {
  /** Present only when there are no errors. */
  document?: TreeDocument;
  errors: DslError[];
}

export interface ParseResult {
  /** The syntax tree; forms that could not be read are left out or stand as `error` atoms. */
  ast: SourceFile;
  errors: DslError[];
}

export interface FormatResult {
  /** Present only when there are no errors. */
  text?: string;
  errors: DslError[];
}

/** Reads source text into S-expressions, reporting only lexical and bracket errors. */
export function parse(source: string, options: { file?: string } = {}): ParseResult {
  const file = options.file ?? DEFAULT_FILE;
  return guard(file, { ast: { forms: [], comments: [] }, errors: [] }, () => {
    const result = read(source);
    return { ast: result.file, errors: sortErrors(result.errors.map((e) => atPos(file, e))) };
  });
}

/** Source text to canonical JSON, with every error of the file. */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const file = options.file ?? DEFAULT_FILE;
  return guard(file, { errors: [] }, () => {
    const { file: ast, errors: readErrors } = read(source);
    const conversion = toDocument(ast.forms, ast.comments);
    // Positions are recorded by a second, identical conversion, only when an error needs one.
    let recorded: Conversion | undefined;
    const place = (path: string, atKey: boolean | undefined): Pos =>
      locate((recorded ??= toDocument(ast.forms, ast.comments, true)), path, atKey);
    const issues = validateTrees(conversion.document, {
      knownTrees: options.knownTrees,
      lenientSubtrees: options.lenientSubtrees,
      limits: options.limits,
      broken: conversion.broken,
      where: (path) => {
        const pos = place(path, false);
        return `${pos.line}:${pos.column}`;
      },
    }).map(fromTreeIssue);
    if (readErrors.length === 0 && conversion.errors.length === 0 && issues.length === 0)
      return { document: conversion.document, errors: [] };
    const errors = sortErrors([
      ...[...readErrors, ...conversion.errors].map((e) => atPos(file, e)),
      ...issues.map((issue) => atPos(file, { ...issue, pos: place(issue.path, issue.atKey) })),
    ]);
    return errors.length ? { errors } : { document: conversion.document, errors };
  });
}

/**
 * Canonical text of a file. Only errors that keep the file from being read are reported (so a
 * file that references trees of other files, or has a typo in a node type, still formats).
 */
export function format(source: string, options: { file?: string } = {}): FormatResult {
  const file = options.file ?? DEFAULT_FILE;
  return guard(file, { errors: [] }, () => {
    const { file: ast, errors: readErrors } = read(source);
    const conversion = toDocument(ast.forms, ast.comments);
    const errors = sortErrors([...readErrors, ...conversion.errors].map((e) => atPos(file, e)));
    return errors.length ? { errors } : { text: print(conversion.document), errors };
  });
}

/** Checks a JSON value as a TreeDocument: its shape, then the same checks as `compile`. */
export function validateDocument(json: unknown, options: CompileOptions = {}): CompileResult {
  const file = options.file ?? DEFAULT_FILE;
  return guard(file, { errors: [] }, () => {
    const structure = readDocument(json);
    const issues = [
      ...structure.issues,
      ...validateTrees(structure.document, {
        knownTrees: options.knownTrees,
        lenientSubtrees: options.lenientSubtrees,
        limits: options.limits,
        broken: structure.broken,
      }).map(fromTreeIssue),
    ];
    const errors = issues.map((issue): DslError => ({
      file,
      line: 0,
      column: 0,
      path: issue.path,
      message: issue.message,
      code: issue.code,
    }));
    return errors.length ? { errors } : { document: structure.document, errors };
  });
}

/** The position of a JSON pointer, or of its nearest ancestor that has one. */
/**
 * Where the node or value at a JSON pointer into the compiled document was written in `source`
 * (the nearest enclosing form when the pointer names something without a position of its own):
 * for tools that find problems in a document, such as an export, and report them in the source.
 */
export function sourcePosition(source: string, path: string): { line: number; column: number } {
  const { file: ast } = read(source);
  const { line, column } = locate(toDocument(ast.forms, ast.comments, true), path, false);
  return { line, column };
}

function locate(conversion: Conversion, path: string, atKey: boolean | undefined): Pos {
  const exact = (atKey ? conversion.keyPositions : conversion.positions).get(path);
  if (exact) return exact;
  for (let p = path; p.length > 0; p = p.slice(0, p.lastIndexOf('/'))) {
    const pos = conversion.positions.get(p);
    if (pos) return pos;
  }
  return { line: 1, column: 1, offset: 0 };
}

function atPos(file: string, issue: SourceIssue | (Issue & { pos: Pos })): DslError {
  return {
    file,
    line: issue.pos.line,
    column: issue.pos.column,
    message: issue.message,
    code: issue.code,
  };
}

function sortErrors(errors: DslError[]): DslError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const key = `${e.line}:${e.column}:${e.code}:${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The entry points promise positioned errors only; a bug here must not become a throw. */
function guard<T extends { errors: DslError[] }>(file: string, empty: T, run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ...empty,
      errors: [
        {
          file,
          line: 1,
          column: 1,
          code: DslErrorCode.Internal,
          message: `internal error: ${detail}`,
        },
      ],
    };
  }
}
