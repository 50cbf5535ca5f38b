import { ID_PATTERN, type RegisterTreeRequest, type TreeRecord, type TreeSummary } from '@canopy/contracts';
import { compile, print, validateDocument, type DslError } from '@canopy/dsl';
import type { NodeJson, TreeDocument } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import type { TreeStore } from './tree-store';

export type RegisterTreeCommand = RegisterTreeRequest & { name?: string };

/** The main tree of a document: the one marked `:main true`, else the first. */
export function mainTreeName(doc: TreeDocument): string {
  return (doc.trees.find((t) => t.main) ?? doc.trees[0]).name;
}

function countNodes(node: NodeJson): number {
  return 1 + (node.children ?? []).reduce((n, child) => n + countNodes(child), 0);
}

function compileFailed(errors: DslError[]): AppError {
  const first = errors[0];
  const where = first.path ? `${first.file}:${first.path}` : `${first.file}:${first.line}:${first.column}`;
  return new AppError('COMPILE_FAILED', `${where}: ${first.message}`, { errors }, { line: first.line, column: first.column });
}

/**
 * Registers trees from DSL text or canonical JSON, lists them and reads a version. Each
 * registration of a main-tree name adds a version; subtrees may reference registered trees.
 */
export class TreeRegistry {
  constructor(
    private readonly store: TreeStore,
    /** Told of each new version once stored (runners announce it: `follow` executions move). */
    private readonly onRegistered: (name: string, version: number) => void = () => undefined,
  ) {}

  async register(cmd: RegisterTreeCommand): Promise<TreeSummary> {
    return this.add(await this.compile(cmd));
  }

  /** The checked canonical document of a source or definition; COMPILE_FAILED with `file:line:column`. */
  async compile(cmd: RegisterTreeCommand): Promise<TreeDocument> {
    const knownTrees = await this.store.names();
    const result =
      cmd.source !== undefined
        ? compile(cmd.source, { file: cmd.file ?? `${cmd.name ?? 'tree'}.lisp`, knownTrees })
        : validateDocument(cmd.definition, { file: cmd.file ?? `${cmd.name ?? 'tree'}.json`, knownTrees });
    if (result.errors.length > 0 || !result.document) throw compileFailed(result.errors);
    const doc = result.document;
    const name = mainTreeName(doc);
    if (!ID_PATTERN.test(name)) {
      throw new AppError('VALIDATION_FAILED', `tree name "${name}" must be 1-128 characters of A-Z a-z 0-9 _ -`, undefined, {
        fields: [{ field: 'name', message: 'must be 1-128 characters of A-Z a-z 0-9 _ -' }],
      });
    }
    if (cmd.name !== undefined && cmd.name !== name) {
      throw new AppError('VALIDATION_FAILED', `the document's main tree is "${name}", not "${cmd.name}"`, undefined, {
        fields: [{ field: 'name', message: `does not match the main tree "${name}"` }],
      });
    }
    return doc;
  }

  /** Stores a compiled document as the next version of its main tree. */
  async add(doc: TreeDocument): Promise<TreeSummary> {
    const name = mainTreeName(doc);
    const stored = {
      name,
      nodeCount: doc.trees.reduce((n, t) => n + countNodes(t.root), 0),
      createdAt: new Date().toISOString(),
      trees: [name, ...doc.trees.map((t) => t.name).filter((t) => t !== name)],
      source: print(doc),
      definition: doc as unknown as Record<string, unknown>,
    };
    const version = await this.store.add(stored);
    this.onRegistered(name, version);
    return { name, version, nodeCount: stored.nodeCount, createdAt: stored.createdAt, trees: stored.trees };
  }

  list(): Promise<TreeSummary[]> {
    return this.store.list();
  }

  async get(name: string, version?: number): Promise<TreeRecord> {
    const record = await this.store.get(name, version);
    if (!record) {
      throw new AppError(
        'TREE_NOT_FOUND',
        version === undefined ? `no tree "${name}"` : `no version ${version} of tree "${name}"`,
      );
    }
    return record;
  }
}
