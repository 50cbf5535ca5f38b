import { compile, DslError } from '@canopy/dsl';
import type { TreeDocument } from '@canopy/engine';
import { Io, readSource } from './io';

export interface Compiled {
  documents: { file: string; document: TreeDocument }[];
  errors: DslError[];
}

/**
 * Compiles files together so a `(subtree "x")` may name a tree of another file: a first pass
 * collects the tree names every file defines, the second validates against all of them.
 */
export function compileFiles(io: Io, files: readonly string[]): Compiled {
  const sources = files.map((file) => ({ file, source: readSource(io, file) }));
  const known = new Set<string>();
  for (const { file, source } of sources) {
    for (const name of treeNames(source, file)) known.add(name);
  }
  const documents: Compiled['documents'] = [];
  const errors: DslError[] = [];
  for (const { file, source } of sources) {
    const result = compile(source, { file, knownTrees: [...known] });
    errors.push(...result.errors);
    if (result.document && result.errors.length === 0)
      documents.push({ file, document: result.document });
  }
  return { documents, errors };
}

function treeNames(source: string, file: string): string[] {
  const { document } = compile(source, { file, knownTrees: [], lenientSubtrees: true });
  return document ? document.trees.map((t) => t.name) : [];
}

/** Errors shown per run: a binary file would otherwise print thousands of lines. */
export const MAX_REPORTED_ERRORS = 20;

export function reportErrors(io: Io, errors: readonly DslError[]): void {
  for (const e of errors.slice(0, MAX_REPORTED_ERRORS)) {
    io.err(`${printable(e.file)}:${e.line}:${e.column}: ${printable(e.message)}\n`);
  }
  const more = errors.length - MAX_REPORTED_ERRORS;
  if (more > 0) io.err(`... and ${more} more error${more === 1 ? '' : 's'} (is it a tree file?)\n`);
}

/** Control characters (a binary file's bytes) as `\xNN`, so they cannot drive the terminal. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
