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

export function reportErrors(io: Io, errors: readonly DslError[]): void {
  for (const e of errors) io.err(`${e.file}:${e.line}:${e.column}: ${e.message}\n`);
}
