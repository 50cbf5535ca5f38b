/** Why a tree could not be built or a checkpoint not restored. Stable codes for hosts to map. */
export type BuildErrorCode =
  | 'BAD_DOCUMENT'
  | 'UNKNOWN_TREE'
  | 'UNKNOWN_NODE_TYPE'
  | 'BAD_ARITY'
  | 'BAD_ARGUMENT'
  | 'BAD_PARENT'
  | 'BAD_EXPRESSION'
  | 'UNKNOWN_FUNCTION'
  | 'EXPR_ARITY'
  | 'UNKNOWN_SUBTREE'
  | 'RECURSIVE_SUBTREE'
  | 'DUPLICATE_ID'
  | 'TREE_TOO_LARGE'
  | 'NESTING_TOO_DEEP'
  | 'EXPRESSION_TOO_LARGE'
  | 'CHECKPOINT_MISMATCH'
  | 'BAD_CHECKPOINT';

export class BuildError extends Error {
  override readonly name = 'BuildError';

  constructor(
    readonly code: BuildErrorCode,
    message: string,
    /** Id the node would have had in the built tree. */
    readonly nodeId?: string,
    /** `tree:indexPath` of the node in the document that defines it, e.g. `patrol:0.2.1`. */
    readonly path?: string,
  ) {
    super(message);
  }
}
