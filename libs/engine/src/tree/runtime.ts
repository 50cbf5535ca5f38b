import type { EvalEnv } from '../expr/env';
import type { ActionResolver, BlackboardStore, LlmProvider, TickHooks } from '../model/runtime';
import type { Recorder } from '../record/recorder';

/** Per-tree state every node shares. One object so nodes hold a single reference. */
export class Runtime implements EvalEnv {
  tick = 0;
  now = 0;
  hooks: TickHooks | undefined = undefined;
  /** Hooks or visit recording on: nodes take the slower, observed tick path. */
  observed: boolean;

  constructor(
    readonly execId: string,
    readonly store: BlackboardStore,
    readonly actions: ActionResolver | undefined,
    readonly llm: LlmProvider | undefined,
    readonly onWake: (() => void) | undefined,
    readonly rec: Recorder,
  ) {
    this.observed = rec.visits;
  }

  setHooks(hooks: TickHooks | undefined): void {
    this.hooks = hooks;
    this.observed = hooks !== undefined || this.rec.visits;
  }
}
