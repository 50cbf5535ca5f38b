import type { TreeIssue, TreeIssueCode } from '@canopy/engine';

/**
 * Errors of the tree language. Codes are stable (tests, editors and the CLI match on them); the
 * message is for people and says what was expected.
 */

export const DslErrorCode = {
  // Lexical
  UnterminatedString: 'DSL_UNTERMINATED_STRING',
  BadEscape: 'DSL_BAD_ESCAPE',
  BadNumber: 'DSL_BAD_NUMBER',
  BadAtom: 'DSL_BAD_ATOM',
  // Brackets
  UnexpectedToken: 'DSL_UNEXPECTED_TOKEN',
  Unclosed: 'DSL_UNCLOSED',
  TooDeep: 'DSL_TOO_DEEP',
  // Shape of forms
  NoTrees: 'DSL_NO_TREES',
  ExpectedTree: 'DSL_EXPECTED_TREE',
  BadTree: 'DSL_BAD_TREE',
  ExpectedNode: 'DSL_EXPECTED_NODE',
  MissingValue: 'DSL_MISSING_VALUE',
  DuplicateKeyword: 'DSL_DUPLICATE_KEYWORD',
  BadExpression: 'DSL_BAD_EXPRESSION',
  BadMap: 'DSL_BAD_MAP',
  // Meaning
  UnknownNode: 'DSL_UNKNOWN_NODE',
  UnknownKeyword: 'DSL_UNKNOWN_KEYWORD',
  Arity: 'DSL_ARITY',
  MissingArgument: 'DSL_MISSING_ARGUMENT',
  BadArgument: 'DSL_BAD_ARGUMENT',
  BadKey: 'DSL_BAD_KEY',
  BadParent: 'DSL_BAD_PARENT',
  UnknownSubtree: 'DSL_UNKNOWN_SUBTREE',
  RecursiveSubtree: 'DSL_RECURSIVE_SUBTREE',
  DuplicateTree: 'DSL_DUPLICATE_TREE',
  DuplicateId: 'DSL_DUPLICATE_ID',
  MultipleMain: 'DSL_MULTIPLE_MAIN',
  UnknownFunction: 'DSL_UNKNOWN_FUNCTION',
  ExprArity: 'DSL_EXPR_ARITY',
  // Limits (TREE_MAX_NODES, TREE_MAX_DEPTH, EXPRESSION_MAX_TERMS)
  TreeTooLarge: 'DSL_TREE_TOO_LARGE',
  TreeTooDeep: 'DSL_TREE_TOO_DEEP',
  ExpressionTooLarge: 'DSL_EXPRESSION_TOO_LARGE',
  // JSON documents
  BadJson: 'DSL_BAD_JSON',
  // A bug in this library, reported instead of thrown.
  Internal: 'DSL_INTERNAL',
} as const;

export type DslErrorCode = (typeof DslErrorCode)[keyof typeof DslErrorCode];

export interface DslError {
  file: string;
  /** 1-based; 0 for errors in a JSON document (see `path`). */
  line: number;
  /** 1-based, in UTF-16 code units; 0 for errors in a JSON document. */
  column: number;
  message: string;
  code: DslErrorCode;
  /** JSON pointer into the document, for errors found by `validateDocument`. */
  path?: string;
}

/**
 * `file:line:column: message`, or `file:/json/pointer: message` for JSON documents (the whole
 * document, pointer "", is shown as `/`).
 */
export function formatError(error: DslError): string {
  const where = error.path !== undefined ? error.path || '/' : `${error.line}:${error.column}`;
  return `${error.file}:${where}: ${error.message}`;
}

/** The engine validator's codes, as this library names them. */
const FROM_TREE_ISSUE: Readonly<Record<TreeIssueCode, DslErrorCode>> = {
  UNKNOWN_NODE: DslErrorCode.UnknownNode,
  CHILD_COUNT: DslErrorCode.Arity,
  ARG_COUNT: DslErrorCode.Arity,
  MISSING_ARGUMENT: DslErrorCode.MissingArgument,
  UNKNOWN_KEYWORD: DslErrorCode.UnknownKeyword,
  BAD_ARGUMENT: DslErrorCode.BadArgument,
  BAD_KEY: DslErrorCode.BadKey,
  BAD_PARENT: DslErrorCode.BadParent,
  BAD_EXPRESSION: DslErrorCode.BadExpression,
  UNKNOWN_FUNCTION: DslErrorCode.UnknownFunction,
  EXPR_ARITY: DslErrorCode.ExprArity,
  BAD_TREE: DslErrorCode.BadTree,
  DUPLICATE_TREE: DslErrorCode.DuplicateTree,
  MULTIPLE_MAIN: DslErrorCode.MultipleMain,
  DUPLICATE_ID: DslErrorCode.DuplicateId,
  UNKNOWN_SUBTREE: DslErrorCode.UnknownSubtree,
  RECURSIVE_SUBTREE: DslErrorCode.RecursiveSubtree,
  TREE_TOO_LARGE: DslErrorCode.TreeTooLarge,
  NESTING_TOO_DEEP: DslErrorCode.TreeTooDeep,
  EXPRESSION_TOO_LARGE: DslErrorCode.ExpressionTooLarge,
};

/** A problem found in a document, before it is given a place in a file. */
export interface Issue {
  code: DslErrorCode;
  message: string;
  /** JSON pointer of the offending value. */
  path: string;
  /** The problem is the key at `path` (a keyword), not its value. */
  atKey?: boolean;
}

/** An issue of the engine's validator, with its hint shown in the message. */
export function fromTreeIssue(issue: TreeIssue): Issue {
  const code = FROM_TREE_ISSUE[issue.code];
  const message = issue.hint === undefined ? issue.message : `${issue.message} (${issue.hint})`;
  return issue.atKey
    ? { code, message, path: issue.path, atKey: true }
    : { code, message, path: issue.path };
}

/** A problem found in source text, before it is given a file name. */
export interface SourceIssue {
  code: DslErrorCode;
  message: string;
  pos: { line: number; column: number };
}

export const DEFAULT_FILE = '<input>';
