import type { ActionReply } from '@canopy/contracts';
import { LRUCache } from 'lru-cache';
import { failureOf } from './action-handler';
import { RecentCancels } from './recent-cancels';

/** setTimeout's largest delay; a later deadline simply gets no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Finished invocations remembered by default, to answer their repeats. */
export const DEFAULT_FINISHED_INVOCATIONS = 10_000;

/** Runs one invocation: resolves with its reply (a handler's failure is a FAILURE reply, not a rejection). */
export type InvocationCall = (signal: AbortSignal) => Promise<ActionReply>;

interface Running {
  controller: AbortController;
  reply: Promise<ActionReply>;
  /** The latest deadline of the requests waiting for it. */
  deadline: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Every invocation a worker serves, by invocation id, so that each is executed at most once:
 * a request for an id that is running gets the running call's reply, one for an id that finished
 * gets the reply it had (the last `finishedMax` finished ids are remembered, least recently used
 * first out). A runner sends the same id again when it replays a tick, which it does to resume a
 * paused tick, also after the runner that paused it died: the action must not start twice.
 *
 * The call's signal aborts when the invocation is cancelled (a cancel may arrive before its
 * invocation) or when its deadline passes; a repeat with a later deadline moves the deadline, since
 * its sender waits until then.
 */
export class Invocations {
  private readonly running = new Map<string, Running>();
  private readonly finished: LRUCache<string, ActionReply>;
  private readonly earlyCancels = new RecentCancels();

  constructor(finishedMax = DEFAULT_FINISHED_INVOCATIONS) {
    this.finished = new LRUCache({ max: finishedMax });
  }

  /** The reply of invocation `id`, calling `call` only when it is neither running nor finished. */
  serve(id: string, deadline: number, call: InvocationCall): Promise<ActionReply> {
    const finished = this.finished.get(id);
    if (finished) return Promise.resolve(finished);
    const running = this.running.get(id);
    if (running) {
      if (deadline > running.deadline) this.arm(running, deadline);
      return running.reply;
    }
    return this.start(id, deadline, call);
  }

  /** Aborts the running invocation `id`, or aborts it at its start if it has not arrived yet. */
  cancel(id: string): void {
    const running = this.running.get(id);
    if (running) running.controller.abort(new Error('cancelled'));
    else if (!this.finished.has(id)) this.earlyCancels.remember(id);
  }

  private start(id: string, deadline: number, call: InvocationCall): Promise<ActionReply> {
    const controller = new AbortController();
    if (this.earlyCancels.take(id)) controller.abort(new Error('cancelled'));
    // A call that rejects after all must not leave its id running for ever.
    const reply = call(controller.signal)
      .catch(failureOf)
      .then((outcome) => {
        this.settle(id, outcome);
        return outcome;
      });
    const running: Running = { controller, reply, deadline };
    this.running.set(id, running);
    this.arm(running, deadline);
    return reply;
  }

  private settle(id: string, reply: ActionReply): void {
    clearTimeout(this.running.get(id)?.timer);
    // Remembered before it stops running: a repeat finds it in one or the other.
    this.finished.set(id, reply);
    this.running.delete(id);
  }

  private arm(running: Running, deadline: number): void {
    clearTimeout(running.timer);
    running.deadline = deadline;
    const untilDeadline = deadline - Date.now();
    if (untilDeadline > MAX_TIMER_MS) {
      running.timer = undefined;
      return;
    }
    running.timer = setTimeout(
      () => running.controller.abort(new Error('deadline passed')),
      Math.max(0, untilDeadline),
    );
    // A deadline is no reason to keep a process alive: the worker's connection does that.
    running.timer.unref();
  }
}
