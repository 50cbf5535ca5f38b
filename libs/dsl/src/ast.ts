/** Tokens and the syntax tree of the S-expression reader. Positions are 1-based. */

export interface Pos {
  line: number;
  /** In UTF-16 code units. */
  column: number;
  /** 0-based index into the source. */
  offset: number;
}

export type OpenBracket = '(' | '[' | '{';
export type CloseBracket = ')' | ']' | '}';

interface At {
  pos: Pos;
}

export interface NumberAtom extends At {
  kind: 'number';
  value: number;
}
export interface StringAtom extends At {
  kind: 'string';
  value: string;
}
export interface SymbolAtom extends At {
  kind: 'symbol';
  name: string;
}
/** `:name`; `name` is without the colon. */
export interface KeywordAtom extends At {
  kind: 'keyword';
  name: string;
}
/** `$path`; `path` is without the dollar. */
export interface VarAtom extends At {
  kind: 'var';
  path: string;
}
export interface BooleanAtom extends At {
  kind: 'boolean';
  value: boolean;
}
export interface NilAtom extends At {
  kind: 'nil';
}
/** Text that could not be read as an atom; its error has already been reported. */
export interface ErrorAtom extends At {
  kind: 'error';
}

export type Atom =
  NumberAtom | StringAtom | SymbolAtom | KeywordAtom | VarAtom | BooleanAtom | NilAtom | ErrorAtom;

/** `( ... )` */
export interface ListForm extends At {
  kind: 'list';
  items: Sexp[];
}
/** `[ ... ]` */
export interface VectorForm extends At {
  kind: 'vector';
  items: Sexp[];
}
/** `{ ... }`, items as written (keys and values alternating). */
export interface MapForm extends At {
  kind: 'map';
  items: Sexp[];
}

export type Sexp = Atom | ListForm | VectorForm | MapForm;

export type Token =
  | (Atom & { text: string })
  | { kind: 'open'; bracket: OpenBracket; pos: Pos; text: string }
  | { kind: 'close'; bracket: CloseBracket; pos: Pos; text: string };

export interface Comment {
  /** The line after `;` and one optional space. */
  text: string;
  pos: Pos;
}

export interface SourceFile {
  forms: Sexp[];
  /** Every comment of the file, in source order. */
  comments: Comment[];
}
