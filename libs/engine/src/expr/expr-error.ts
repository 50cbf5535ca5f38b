import type { RuntimeErrorCode } from '../model/runtime';
import { typeName } from './values';

/** A runtime error inside an expression or a node's arguments: fails the node, never the tick. */
export class ExprError extends Error {
  override readonly name = 'ExprError';

  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function typeError(op: string, expected: string, got: unknown): ExprError {
  return new ExprError('EXPR_TYPE', `(${op}) expects ${expected}, got ${typeName(got)}`);
}

/** Raised while compiling; the builder turns it into a BuildError naming the node. */
export class ExprCompileError extends Error {
  override readonly name = 'ExprCompileError';

  constructor(
    readonly code: 'BAD_EXPRESSION' | 'UNKNOWN_FUNCTION' | 'EXPR_ARITY',
    message: string,
  ) {
    super(message);
  }
}
