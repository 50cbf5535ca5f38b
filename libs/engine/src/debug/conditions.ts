import { parseKey, type KeyRef } from '../blackboard/keys';
import type { LocalScope } from '../blackboard/local-scope';
import type { Evaluator } from '../expr/env';
import { compileExpr } from '../expr/compile';
import { ExprCompileError } from '../expr/expr-error';
import type { ExprJson, TreeDocument } from '../model/json';
import { validateTrees } from '../validate/validate-trees';
import { DebugError } from './debug-error';
import { readExpr, ReadError, type Position } from './expr-reader';

/** Where the condition sits in the document the validator checks it in. */
const AT = '/trees/0/root/args/0';

/**
 * A condition's text, read and checked by the same rules as a `(condition EXPR)` in a tree file.
 * Throws DebugError BAD_CONDITION at the position inside the text.
 */
export function parseCondition(text: string): ExprJson {
  let read;
  try {
    read = readExpr(text);
  } catch (e) {
    if (e instanceof ReadError) throw bad(e.message, e.at);
    throw e;
  }
  const doc: TreeDocument = {
    format: 'canopy/1',
    trees: [{ name: 'condition', root: { type: 'condition', args: [read.expr] } }],
  };
  const issue = validateTrees(doc)[0];
  if (issue !== undefined) {
    const message = issue.hint === undefined ? issue.message : `${issue.message} (${issue.hint})`;
    const path = issue.path.startsWith(AT) ? issue.path.slice(AT.length) : '';
    throw bad(message, locate(read.positions, path));
  }
  return read.expr;
}

/** Compiled against the scope chain it will be evaluated in (locals are found through it). */
export function compileCondition(expr: ExprJson, scope: LocalScope | null): Evaluator {
  try {
    return compileExpr(expr, scope);
  } catch (e) {
    // parseCondition ran the validator, which compiles the same way: only a bug gets here.
    if (e instanceof ExprCompileError) throw bad(e.message, { line: 1, column: 1 });
    throw e;
  }
}

/** A watch's key, as `(set KEY ...)` takes it. */
export function parseWatchKey(key: string): KeyRef {
  const ref = parseKey(key);
  if (ref === undefined) {
    throw new DebugError(
      'BAD_CONDITION',
      `malformed key '${key}' (expected a name before and after each '/')`,
      1,
      1,
    );
  }
  return ref;
}

function bad(message: string, at: Position): DebugError {
  return new DebugError('BAD_CONDITION', message, at.line, at.column);
}

/** The position of a JSON pointer, or of its nearest ancestor that has one. */
function locate(positions: ReadonlyMap<string, Position>, path: string): Position {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const pos = positions.get(p);
    if (pos !== undefined) return pos;
    if (p === '') return { line: 1, column: 1 };
  }
}
