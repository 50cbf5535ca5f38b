import type { KeyRef } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import type { Evaluator } from '../expr/env';
import type { BuildErrorCode } from '../errors';
import type { NodeSpec } from '../model/catalog';
import type { ExprJson, NodeJson } from '../model/json';
import type { Runtime } from './runtime';

/**
 * What a node factory gets from the builder. Arguments are already validated against the
 * node's spec (presence, literal kinds), so factories only read them.
 */
export interface NodeDef {
  readonly id: string;
  readonly rt: Runtime;
  readonly spec: NodeSpec;
  readonly json: NodeJson;
  /** The scope this node's own expressions read (its parent's, not one it owns). */
  readonly scope: LocalScope | null;
  readonly childCount: number;
  arg(i: number): ExprJson | undefined;
  kw(name: string): ExprJson | undefined;
  /** Keyword arguments in source order (actions, subtrees). */
  kwargs(): [string, ExprJson][];
  /** Compiles in `scope`. */
  expr(e: ExprJson): Evaluator;
  /** A literal `string`/`name` argument's text (a symbol's name). */
  text(e: ExprJson): string;
  key(e: ExprJson): KeyRef;
  /** The build-time value of a literal argument, undefined for a run-time expression. */
  literal(e: ExprJson): { value: unknown } | undefined;
  fail(code: BuildErrorCode, message: string): never;
}

/** A node that gives its descendants their own local scope (subtree, for-each). */
export interface ScopeOwner {
  readonly ownScope: LocalScope;
}

export function ownsScope(node: object): node is ScopeOwner {
  return 'ownScope' in node;
}
