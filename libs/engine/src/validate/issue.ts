/**
 * What is wrong with a tree document, by rule. Codes are stable: the DSL shows them as its
 * `DSL_*` codes, the builder as its coarser `BuildErrorCode`s.
 */
export type TreeIssueCode =
  | 'UNKNOWN_NODE'
  | 'CHILD_COUNT'
  | 'ARG_COUNT'
  | 'MISSING_ARGUMENT'
  | 'UNKNOWN_KEYWORD'
  | 'BAD_ARGUMENT'
  | 'BAD_KEY'
  | 'BAD_PARENT'
  | 'BAD_EXPRESSION'
  | 'UNKNOWN_FUNCTION'
  | 'EXPR_ARITY'
  | 'BAD_TREE'
  | 'DUPLICATE_TREE'
  | 'MULTIPLE_MAIN'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_SUBTREE'
  | 'RECURSIVE_SUBTREE'
  | 'TREE_TOO_LARGE'
  | 'NESTING_TOO_DEEP'
  | 'EXPRESSION_TOO_LARGE';

export interface TreeIssue {
  code: TreeIssueCode;
  /** Says what was expected; the same text wherever the document came from. */
  message: string;
  /** A suggestion or the accepted choices, shown after the message in parentheses. */
  hint?: string;
  /** JSON pointer (RFC 6901) of the offending value. */
  path: string;
  /** The problem is the key at `path` (a keyword), not its value. */
  atKey?: boolean;
}

export function treeIssue(
  code: TreeIssueCode,
  message: string,
  path: string,
  hint?: string,
  atKey?: boolean,
): TreeIssue {
  const issue: TreeIssue = { code, message, path };
  if (hint !== undefined) issue.hint = hint;
  if (atKey) issue.atKey = true;
  return issue;
}

/** `base` with one more JSON pointer segment, escaped. */
export function jsonPointer(base: string, segment: string | number): string {
  if (typeof segment === 'number') return `${base}/${segment}`;
  if (!segment.includes('~') && !segment.includes('/')) return `${base}/${segment}`;
  return `${base}/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}
