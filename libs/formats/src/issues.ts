/** Why a file in another format could not be carried over as it is. */
export enum FormatIssueCode {
  /** The file is not well-formed (XML) or cannot be read (MDSL). */
  Syntax = 'FORMAT_SYNTAX',
  /** A node, attribute or value with no Canopy equivalent: nothing is produced for the file. */
  Unsupported = 'FORMAT_UNSUPPORTED',
  /** Something required is missing or malformed (a tree without an ID, a port that is not a number). */
  Invalid = 'FORMAT_INVALID',
  /** An `include` that cannot be read. */
  Include = 'FORMAT_INCLUDE',
  /** Carried over with a difference the user should know about; the import still succeeds. */
  Note = 'FORMAT_NOTE',
}

export interface FormatIssue {
  file: string;
  /** 1-based; 0 when the issue belongs to a JSON path (export), see `path`. */
  line: number;
  column: number;
  message: string;
  code: FormatIssueCode;
  /** Notes never stop an import; everything else does. */
  severity: 'error' | 'note';
  /** JSON pointer into the Canopy document, for issues found on export. */
  path?: string;
}

export interface Position {
  line: number;
  column: number;
}

/** Collects issues with their file; `failed` says whether any of them stops the conversion. */
export class IssueList {
  readonly items: FormatIssue[] = [];

  error(file: string, at: Position, code: Exclude<FormatIssueCode, FormatIssueCode.Note>, message: string): void {
    this.items.push({ file, line: at.line, column: at.column, code, message, severity: 'error' });
  }

  note(file: string, at: Position, message: string): void {
    this.items.push({ file, line: at.line, column: at.column, code: FormatIssueCode.Note, message, severity: 'note' });
  }

  get failed(): boolean {
    return this.items.some((i) => i.severity === 'error');
  }

  /** In file order, then position. */
  sorted(): FormatIssue[] {
    return [...this.items].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : 0));
  }
}

/** `file:line:column: message`, as every Canopy tool prints positioned errors. */
export function formatIssue(issue: FormatIssue): string {
  const where = issue.line > 0 ? `${issue.line}:${issue.column}` : (issue.path ?? '/');
  return `${issue.file}:${where}: ${issue.severity === 'note' ? 'note: ' : ''}${issue.message}`;
}
