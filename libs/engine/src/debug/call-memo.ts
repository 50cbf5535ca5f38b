import type {
  ActionContext,
  ActionFn,
  ActionOutcome,
  ActionResolver,
  LlmProvider,
  LlmRequest,
  LlmResult,
} from '../model/runtime';
import type { Runtime } from '../tree/runtime';

/** One call to the outside world made by a run of a debugged tick, and what it answered. */
interface Call {
  readonly controller: AbortController;
  threw: boolean;
  value: unknown;
}

interface LlmCall extends Call {
  /** Where tokens go: the latest run's `onToken`. */
  listener: (text: string) => void;
  /** Tokens the provider streamed while it was being called (before it returned). */
  readonly early: string[];
  calling: boolean;
}

function link(signal: AbortSignal, target: AbortController): void {
  if (signal.aborted) target.abort();
  else signal.addEventListener('abort', () => target.abort(), { once: true });
}

/**
 * Every run of a debugged tick makes the same calls in the same order (it is a replay), so a
 * call is known by its invocation and its rank among the run's calls of that invocation. The
 * first run's call goes out; a re-run gets what it answered (the same promise, value or
 * exception) instead of calling again. The real call has its own abort signal, aborted when the
 * run that got it halts the node (the re-run's node is a new object after a restore).
 */
export class CallMemo {
  private readonly calls = new Map<string, Call>();
  private readonly ranks = new Map<string, number>();

  constructor(
    private readonly rt: Runtime,
    /** The node being ticked: LLM calls carry no id of their own. */
    private readonly current: () => string,
  ) {}

  /** Each run numbers its calls from the start. */
  startRun(): void {
    this.ranks.clear();
  }

  /** The calls of an abandoned tick were never made: their results would apply to nothing. */
  abortAll(): void {
    for (const c of this.calls.values()) c.controller.abort();
    this.calls.clear();
  }

  actions(inner: ActionResolver): ActionResolver {
    const fns = new Map<string, ActionFn>();
    return {
      resolve: (name) => {
        let fn = fns.get(name);
        if (fn === undefined) {
          const real = inner.resolve(name);
          if (real === undefined) return undefined;
          fn = (args, ctx) => this.action(real, args, ctx);
          fns.set(name, fn);
        }
        return fn;
      },
    };
  }

  llm(inner: LlmProvider): LlmProvider {
    return (req, ctx) => this.llmCall(inner, req, ctx);
  }

  private key(base: string): string {
    const rank = this.ranks.get(base) ?? 0;
    this.ranks.set(base, rank + 1);
    return `${base}#${rank}`;
  }

  private action(
    fn: ActionFn,
    args: Readonly<Record<string, unknown>>,
    ctx: ActionContext,
  ): ActionOutcome | Promise<ActionOutcome> {
    const key = this.key(`${ctx.invocationId}@${ctx.tick}`);
    let call = this.calls.get(key);
    if (call === undefined) {
      const controller = new AbortController();
      call = { controller, threw: false, value: undefined };
      this.calls.set(key, call);
      const real: ActionContext = {
        execId: ctx.execId,
        nodeId: ctx.nodeId,
        tick: ctx.tick,
        invocationId: ctx.invocationId,
        signal: controller.signal,
      };
      try {
        call.value = fn(args, real);
      } catch (e) {
        call.threw = true;
        call.value = e;
      }
    }
    link(ctx.signal, call.controller);
    if (call.threw) throw call.value;
    return call.value as ActionOutcome | Promise<ActionOutcome>;
  }

  private llmCall(
    provider: LlmProvider,
    req: LlmRequest,
    ctx: { signal: AbortSignal; onToken(text: string): void },
  ): Promise<LlmResult> {
    const key = this.key(`llm:${this.current()}@${this.rt.tick}`);
    let call = this.calls.get(key) as LlmCall | undefined;
    if (call === undefined) {
      const made: LlmCall = {
        controller: new AbortController(),
        threw: false,
        value: undefined,
        listener: ctx.onToken,
        early: [],
        calling: true,
      };
      call = made;
      this.calls.set(key, made);
      try {
        made.value = provider(req, {
          signal: made.controller.signal,
          onToken: (text) => this.token(made, text),
        });
      } catch (e) {
        made.threw = true;
        made.value = e;
      } finally {
        made.calling = false;
      }
    } else {
      call.listener = ctx.onToken;
      for (const text of call.early) ctx.onToken(text);
    }
    link(ctx.signal, call.controller);
    if (call.threw) throw call.value;
    return call.value as Promise<LlmResult>;
  }

  private token(call: LlmCall, text: string): void {
    if (call.calling) {
      call.early.push(text);
      call.listener(text);
      return;
    }
    // While the tick is paused, a token waits for the tick to complete and then goes to the
    // listener of the run that completed it.
    const held = this.rt.held;
    if (held !== null) held.push(() => call.listener(text));
    else call.listener(text);
  }
}
