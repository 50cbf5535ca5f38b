/**
 * Why a debugger request was refused. `UNKNOWN_NODE` and `BAD_CONDITION` are the contracts'
 * error codes (400); the others are host mistakes (a state from another tree, a store that cannot
 * be frozen, a malformed hook that the contracts' schemas already reject).
 */
export type DebugErrorCode =
  'UNKNOWN_NODE' | 'BAD_CONDITION' | 'BAD_BREAKPOINT' | 'BAD_STATE' | 'NO_SNAPSHOT';

export class DebugError extends Error {
  override readonly name = 'DebugError';

  constructor(
    readonly code: DebugErrorCode,
    message: string,
    /** 1-based position inside the condition (or key) text, for BAD_CONDITION. */
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}
