import type { BlackboardStore, ExternalEvent } from '../model/runtime';

/** What a compiled expression may read while it runs: the store and the tick's time. */
export interface EvalEnv {
  readonly store: BlackboardStore;
  /** Clock time read once at the start of the tick. */
  readonly now: number;
  /** 1-based tick number. */
  readonly tick: number;
  /** The tick's external events, oldest first (empty in a tick with none). */
  readonly events: readonly ExternalEvent[];
}

/** A compiled expression. Throws ExprError on a runtime type error; callers catch it. */
export type Evaluator = (env: EvalEnv) => unknown;
