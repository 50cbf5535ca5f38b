import { buildTree, type BehaviorTree, type BuildOptions } from '@canopy/engine';
import { compile, type CompileOptions } from './compile';
import type { DslError } from './errors';

export interface BuildFromSourceResult {
  /** Present only when the source compiled without errors. */
  tree?: BehaviorTree;
  errors: DslError[];
}

/**
 * Compiles source text and builds the engine's tree from it. Trees of `options.library` count as
 * known subtrees. Errors of the text are returned; the engine's `BuildError` (a problem only the
 * engine can see, such as a subtree missing from the library) is thrown as the engine throws it.
 */
export function buildFromSource(
  source: string,
  options: CompileOptions & BuildOptions = {},
): BuildFromSourceResult {
  const libraryTrees = (options.library ?? []).flatMap((doc) => doc.trees.map((t) => t.name));
  const { document, errors } = compile(source, {
    file: options.file,
    knownTrees: [...(options.knownTrees ?? []), ...libraryTrees],
    lenientSubtrees: options.lenientSubtrees,
  });
  if (!document) return { errors };
  return { tree: buildTree(document, options), errors };
}
