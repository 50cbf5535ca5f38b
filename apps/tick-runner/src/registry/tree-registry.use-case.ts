import { type ErrorCode, ID_PATTERN, type RegisterTreeRequest, type TreeRecord, type TreeSummary } from '@canopy/contracts';
import { compile, DslErrorCode, print, validateDocument, type DslError } from '@canopy/dsl';
import { checkTreeLimits, DEFAULT_TREE_LIMITS, type NodeJson, type TreeDocument, type TreeLimits } from '@canopy/engine';
import { formatIssue, importBtcpp, importMdsl } from '@canopy/formats';
import { AppError, externalSubtrees, subtreeLibrary } from '@canopy/service-kit';
import type { TreeStore } from './tree-store';

export type RegisterTreeCommand = RegisterTreeRequest & { name?: string };

/** The main tree of a document: the one marked `:main true`, else the first. */
export function mainTreeName(doc: TreeDocument): string {
  return (doc.trees.find((t) => t.main) ?? doc.trees[0]).name;
}

function countNodes(node: NodeJson): number {
  return 1 + (node.children ?? []).reduce((n, child) => n + countNodes(child), 0);
}

/** A positioned problem in a tree's source: the DSL's, or an import's (its own codes). */
type SourceError = Omit<DslError, 'code'> & { code: string };

/** A limit's DSL code and its stable error code: a document over a limit is not a typo to fix. */
const LIMIT_CODES: ReadonlyMap<string, ErrorCode> = new Map<string, ErrorCode>([
  [DslErrorCode.TreeTooLarge, 'TREE_TOO_LARGE'],
  [DslErrorCode.TreeTooDeep, 'NESTING_TOO_DEEP'],
  [DslErrorCode.TooDeep, 'NESTING_TOO_DEEP'],
  [DslErrorCode.ExpressionTooLarge, 'EXPRESSION_TOO_LARGE'],
]);

/** COMPILE_FAILED at the first error, or the limit's own code at the first error over a limit. */
function compileFailed(errors: SourceError[]): AppError {
  const overLimit = errors.find((e) => LIMIT_CODES.has(e.code));
  const first = overLimit ?? errors[0];
  const code = overLimit ? (LIMIT_CODES.get(overLimit.code) as ErrorCode) : 'COMPILE_FAILED';
  const where = first.path ? `${first.file}:${first.path}` : `${first.file}:${first.line}:${first.column}`;
  return new AppError(code, `${where}: ${first.message}`, { errors }, { line: first.line, column: first.column });
}

/**
 * A BT.CPP or MDSL source converted (errors at their line and column, in the DSL's error shape),
 * then checked as any Canopy document is.
 */
function imported(
  format: 'btcpp' | 'mdsl',
  source: string,
  file: string,
  knownTrees: readonly string[],
  notes: string[] | undefined,
  limits: TreeLimits,
): { document?: TreeDocument; errors: SourceError[] } {
  const result = format === 'btcpp' ? importBtcpp(source, { file }) : importMdsl(source, { file });
  const errors = result.issues.filter((i) => i.severity === 'error');
  notes?.push(...result.issues.filter((i) => i.severity === 'note').map(formatIssue));
  if (!result.document || errors.length > 0)
    return { errors: errors.map(({ file: f, line, column, message, code }) => ({ file: f, line, column, message, code })) };
  return validateDocument(result.document, { file, knownTrees, limits });
}

/** NATS' default max_payload (1 MiB) less room for the reply's envelope and headers. */
export const TREE_RECORD_MAX_BYTES = 1024 * 1024 - 16 * 1024;

/**
 * Registers trees from DSL text or canonical JSON (or another library's format), lists them and reads a version. Each
 * registration of a main-tree name adds a version; subtrees may reference registered trees.
 */
export class TreeRegistry {
  constructor(
    private readonly store: TreeStore,
    /** Told of each new version once stored (runners announce it: `follow` executions move). */
    private readonly onRegistered: (name: string, version: number) => void = () => undefined,
    private readonly limits: TreeLimits = DEFAULT_TREE_LIMITS,
  ) {}

  async register(cmd: RegisterTreeCommand): Promise<TreeSummary> {
    const notes: string[] = [];
    const summary = await this.add(await this.compile(cmd, notes));
    return notes.length ? { ...summary, notes } : summary;
  }

  /**
   * The checked canonical document of a source (Canopy's, or BT.CPP XML / MDSL by `format`) or
   * definition; COMPILE_FAILED with `file:line:column`. `notes`, when given, collects what an
   * import carried over with a difference.
   */
  async compile(cmd: RegisterTreeCommand, notes?: string[]): Promise<TreeDocument> {
    const knownTrees = await this.store.names();
    const { limits } = this;
    const result =
      cmd.source === undefined
        ? validateDocument(cmd.definition, { file: cmd.file ?? `${cmd.name ?? 'tree'}.json`, knownTrees, limits })
        : cmd.format === 'btcpp' || cmd.format === 'mdsl'
          ? imported(cmd.format, cmd.source, cmd.file ?? `${cmd.name ?? 'tree'}.${cmd.format === 'btcpp' ? 'xml' : 'mdsl'}`, knownTrees, notes, limits)
          : compile(cmd.source, { file: cmd.file ?? `${cmd.name ?? 'tree'}.lisp`, knownTrees, limits });
    if (result.errors.length > 0 || !result.document) throw compileFailed(result.errors);
    const doc = result.document;
    await this.checkWithLibrary(doc);
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

  /**
   * The document's own subtrees were counted by the compiler; with subtrees of registered trees
   * (latest versions, as a new execution pins them) a tree may still be over a limit.
   */
  private async checkWithLibrary(doc: TreeDocument): Promise<void> {
    if (externalSubtrees(doc).length === 0) return;
    const library = await subtreeLibrary(doc, async (name) => {
      const record = await this.store.get(name);
      if (!record) throw new AppError('TREE_NOT_FOUND', `subtree "${name}" is not a registered tree`);
      return record.definition as unknown as TreeDocument;
    });
    const [breach] = checkTreeLimits(doc, this.limits, { library });
    if (breach) throw new AppError(breach.code, `${breach.message}, with registered subtrees`);
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
    // GET /trees/:name (and every runner and gateway that builds it) reads the version back in one
    // NATS message: a tree stored larger could never be read.
    const bytes = Buffer.byteLength(JSON.stringify(stored));
    if (bytes > TREE_RECORD_MAX_BYTES) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `tree "${name}" would be stored as ${bytes} bytes (source and definition), more than one NATS message can carry back (${TREE_RECORD_MAX_BYTES}); split it into subtrees registered apart`,
        { bytes, max: TREE_RECORD_MAX_BYTES },
      );
    }
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
