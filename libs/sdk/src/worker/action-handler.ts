import type { ActionReply } from '@canopy/contracts';

/**
 * What a handler may return: a status, a boolean (true = SUCCESS), nothing (SUCCESS), or
 * `{status, output}` whose output (JSON) the node writes to its `:into` key.
 * Plain `string` is admitted only because TypeScript widens `return 'SUCCESS'` in an async arrow
 * whose contextual type is `T | Promise<T>`; any other string replies FAILURE at run time.
 */
export type ActionOutcome =
  | 'SUCCESS'
  | 'FAILURE'
  | (string & Record<never, never>)
  | boolean
  | void
  | { status: 'SUCCESS' | 'FAILURE'; output?: unknown };

export interface ActionContext {
  /** Aborted when the runner cancels the invocation (the node was halted) or its deadline passes. */
  signal: AbortSignal;
  invocationId: string;
  execId: string;
  nodeId: string;
  /**
   * Epoch ms after which the runner no longer waits for the reply (the first request's: a repeat
   * of the invocation with a later deadline moves the signal's abort, not this).
   */
  deadline: number;
}

/** `args` are the node's arguments as JSON; narrow them in the handler. */
export type ActionHandler = (
  args: Record<string, unknown>,
  ctx: ActionContext,
) => ActionOutcome | Promise<ActionOutcome>;

export function replyOf(outcome: ActionOutcome): ActionReply {
  if (typeof outcome === 'object' && outcome !== null && (outcome.status === 'SUCCESS' || outcome.status === 'FAILURE'))
    return outcome.output === undefined ? { status: outcome.status } : { status: outcome.status, output: outcome.output };
  if (outcome === undefined || outcome === true || outcome === 'SUCCESS')
    return { status: 'SUCCESS' };
  if (outcome === false || outcome === 'FAILURE') return { status: 'FAILURE' };
  return {
    status: 'FAILURE',
    error: `handler returned ${JSON.stringify(outcome)}, not SUCCESS/FAILURE/boolean`,
  };
}

export function failureOf(error: unknown): ActionReply {
  return { status: 'FAILURE', error: error instanceof Error ? error.message : String(error) };
}
