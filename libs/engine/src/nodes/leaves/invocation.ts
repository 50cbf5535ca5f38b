import { ActionError, type ActionContext, type ActionErrorCode } from '../../model/runtime';

/** Where an invocation stands between ticks. */
export const CALL = 0;
export const PENDING = 1;
export const RESOLVED = 2;
export const REJECTED = 3;
export type InvocationState = typeof CALL | typeof PENDING | typeof RESOLVED | typeof REJECTED;

/**
 * One run of an action node, handed to the action as its context. The id string and the
 * AbortController are made only if the action asks for them: most actions are synchronous
 * and never look.
 */
export class Invocation implements ActionContext {
  state: InvocationState = CALL;
  outcome: unknown = undefined;
  failure = '';
  /** The code the failure is recorded with: an `ActionError`'s own, else ACTION_FAILED. */
  failureCode: ActionErrorCode = 'ACTION_FAILED';
  /** The tick of the latest call (a sync RUNNING action is called again each tick). */
  tick: number;
  private controller: AbortController | null = null;
  private halted = false;
  private idText: string | null = null;

  constructor(
    readonly execId: string,
    readonly nodeId: string,
    /** Tick the invocation started on: part of its id, so stable across checkpoint/restore. */
    readonly startTick: number,
    readonly args: Readonly<Record<string, unknown>>,
  ) {
    this.tick = startTick;
  }

  get invocationId(): string {
    return (this.idText ??= `${this.execId}:${this.nodeId}:${this.startTick}`);
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.halted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.halted = true;
    this.controller?.abort();
  }
}

export function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An action's thrown or rejected value as the code and message its node records. */
export function failureOf(e: unknown, action: string, verb: string): { code: ActionErrorCode; message: string } {
  if (e instanceof ActionError) return { code: e.code, message: `action '${action}': ${e.message}` };
  return { code: 'ACTION_FAILED', message: `action '${action}' ${verb}: ${messageOf(e)}` };
}
