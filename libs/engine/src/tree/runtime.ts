import type { EvalEnv } from '../expr/env';
import type {
  ActionResolver,
  BlackboardStore,
  ExternalEvent,
  LlmProvider,
  TickHooks,
} from '../model/runtime';
import type { Recorder } from '../record/recorder';
import type { NodeProbe } from './probe';
import type { Watchdog } from './watchdog';

/** The batch of a tick without events: one shared frozen array, so such a tick allocates none. */
export const NO_EVENTS: readonly ExternalEvent[] = Object.freeze([]);

/** Per-tree state every node shares. One object so nodes hold a single reference. */
export class Runtime implements EvalEnv {
  tick = 0;
  now = 0;
  /** The current tick's external events (set by the tree, or the debugger, before it ticks). */
  events: readonly ExternalEvent[] = NO_EVENTS;
  hooks: TickHooks | undefined = undefined;
  /** Hooks, visit recording or a debugger run on: nodes take the slower, observed tick path. */
  observed: boolean;
  /** Set by the tree once built; checks only nodes with a budget (`node.wd`). */
  watchdog: Watchdog | null = null;
  /** Some node has a watchdog budget: checked on the observed path, so trees without stay fast. */
  private watching = false;
  /** Set only while a debugger runs a tick: it sees every node boundary. */
  probe: NodeProbe | null = null;
  /**
   * While a debugger holds a paused tick, async results (settled actions, LLM tokens) wait here
   * and are applied when the tick completes, so every run of that tick sees what had arrived
   * before it began.
   */
  held: (() => void)[] | null = null;
  /**
   * During a debugger's run, cancellations of async work wait here: they take effect when the
   * run completes the tick, and are dropped when it pauses (the halts of a paused run never
   * happened; the tick's re-run makes them again).
   */
  aborts: { abort(): void }[] | null = null;

  // store, actions and llm are swapped by the debugger for the runs of a debugged tick (an
  // overlay over a frozen view, memoized calls), and put back afterwards.
  constructor(
    readonly execId: string,
    public store: BlackboardStore,
    public actions: ActionResolver | undefined,
    public llm: LlmProvider | undefined,
    readonly onWake: (() => void) | undefined,
    readonly rec: Recorder,
  ) {
    this.observed = rec.visits;
  }

  /** Cancels async work (a halted action or LLM call), or defers it in a debugger's run. */
  abort(work: { abort(): void }): void {
    if (this.aborts !== null) this.aborts.push(work);
    else work.abort();
  }

  setHooks(hooks: TickHooks | undefined): void {
    this.hooks = hooks;
    this.refreshObserved();
  }

  setWatching(watching: boolean): void {
    this.watching = watching;
    this.refreshObserved();
  }

  private refreshObserved(): void {
    this.observed =
      this.hooks !== undefined || this.rec.visits || this.probe !== null || this.watching;
  }
}
