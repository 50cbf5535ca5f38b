/**
 * Canonical JSON form of Canopy trees (format "canopy/1").
 *
 * This is the one representation every part of the system agrees on: the DSL compiles to it, the
 * engine builds from it, the registry stores it and the printer turns it back into text. It is
 * lossless with respect to the text form (comments included), so `text -> json -> text` is the
 * canonical text and `json -> text -> json` is the identity.
 */

/** A parsed file: one or more trees, in source order. */
export interface TreeDocument {
  format: 'canopy/1';
  trees: TreeJson[];
  /** Comments after the last form of the file. */
  trailingComments?: string[];
}

export interface TreeJson {
  name: string;
  /** `:main true`; without it the first tree of the document is the main one. */
  main?: boolean;
  root: NodeJson;
  /** Comment lines (without the leading `;`) directly above the `(tree ...)` form. */
  comments?: string[];
}

export interface NodeJson {
  /** Node type as written (`fallback` stays `fallback`; it is an alias of `selector`). */
  type: string;
  id?: string;
  name?: string;
  /** `:stuck-after MS`: the watchdog's budget for this node, in ms. */
  'stuck-after'?: number;
  /** Positional arguments before the children, e.g. the EXPR of `(condition EXPR)`. */
  args?: ExprJson[];
  /** Keyword arguments other than the common attributes (`:id`, `:name`, `:stuck-after`), in source order, without the colon. */
  kwargs?: Record<string, ExprJson>;
  children?: NodeJson[];
  /** Comment lines directly above this node. */
  comments?: string[];
}

/**
 * Expressions. Literals are plain JSON values; everything else is a one-key-family object so the
 * form is unambiguous and schema-checkable.
 */
export type ExprJson =
  | number
  | string
  | boolean
  | null
  | VarExpr
  | SymbolExpr
  | KeywordExpr
  | CallExpr
  | ListExpr
  | MapExpr;

/** `$key`, `$a/b/c`, `$global:key` — a blackboard read. `path` is the text after `$`. */
export interface VarExpr {
  $: string;
}
/** A bare symbol, e.g. an action name `move-to`. */
export interface SymbolExpr {
  sym: string;
}
/** A keyword used as a value, e.g. `:require-all` (without the colon). */
export interface KeywordExpr {
  kw: string;
}
/** `(op arg...)`. */
export interface CallExpr {
  call: string;
  args: ExprJson[];
}
/** `[a b c]`. */
export interface ListExpr {
  list: ExprJson[];
}
/** `{:k v}`: keys without the colon, in source order. */
export interface MapExpr {
  map: Record<string, ExprJson>;
}

export const FORMAT_VERSION = 'canopy/1' as const;
