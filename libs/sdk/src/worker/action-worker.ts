import {
  type ActionCancel,
  ActionCancelSchema,
  type ActionReply,
  type ActionRequest,
  ActionRequestSchema,
  parseWith,
  Queues,
  Subjects,
} from '@canopy/contracts';
import { createLogger, type Logger, TracedNats } from '@canopy/telemetry';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { type ActionHandler, failureOf, replyOf } from './action-handler';
import { DEFAULT_FINISHED_INVOCATIONS, Invocations } from './invocations';

export type ActionWorkerOptions = (
  | {
      natsUrl: string;
      /**
       * The worker's NATS user, when the server has users (docs/security.md, "NATS and Redis"):
       * it may serve only its own actions' subjects.
       */
      user?: string;
      password?: string;
    }
  | { connection: NatsConnection }
) & {
  logger?: Logger;
  /**
   * How many finished invocations the worker remembers to answer their repeats without running
   * the handler again (default 10,000; least recently used first out).
   */
  finishedInvocations?: number;
};

/**
 * Serves `(action NAME ...)` nodes from any Node process. Each registered action is a queue
 * subscription on `canopy.action.NAME` (one worker of the group gets each invocation) plus a
 * broadcast subscription on `canopy.action-cancel.NAME`, since the worker running an invocation is
 * not known to the runner that cancels it.
 *
 * **At most once per worker, by `invocationId`.** A runner replaying a tick (to go on with a tick
 * paused by the debugger, also on another runner after the first one died) sends an invocation it
 * sent before, with the same id. A repeat of an invocation that is running waits for the same
 * reply; a repeat of one that finished gets the reply it had, without running the handler again
 * (the last `finishedInvocations` are remembered). A repeat that a queue group hands to another
 * worker process is not known there: to be safe across workers, a handler with side effects can
 * key them by `ctx.invocationId`.
 */
export class ActionWorker {
  private readonly logger: Logger;
  private readonly nats: Promise<TracedNats>;
  /** A connection we opened is ours to close; one we were given is not. */
  private readonly ownsConnection: boolean;
  private readonly subscriptions: Subscription[] = [];
  private readonly invocations: Invocations;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly names = new Set<string>();
  private closing?: Promise<void>;

  constructor(opts: ActionWorkerOptions) {
    this.logger = opts.logger ?? createLogger('action-worker');
    this.ownsConnection = 'natsUrl' in opts;
    this.invocations = new Invocations(opts.finishedInvocations ?? DEFAULT_FINISHED_INVOCATIONS);
    const connection =
      'natsUrl' in opts
        ? connect({
            servers: opts.natsUrl,
            ...(opts.user === undefined ? {} : { user: opts.user, pass: opts.password }),
          })
        : Promise.resolve(opts.connection);
    this.nats = connection.then((nc) => new TracedNats(nc, undefined, { logger: this.logger }));
    // Surfaced by register()/close(); without this a failed connect would be an unhandled rejection.
    this.nats.catch(() => undefined);
  }

  /** Resolves once the server has the subscriptions, so invocations sent afterwards reach this worker. */
  async register(name: string, handler: ActionHandler): Promise<void> {
    if (this.closing) throw new Error('ActionWorker is closed');
    if (this.names.has(name))
      throw new Error(`action ${name} is already registered on this worker`);
    this.names.add(name);
    const nats = await this.nats;
    this.subscriptions.push(
      nats.subscribe<unknown, ActionReply>(
        Subjects.action(name),
        (payload) => this.track(this.invoke(name, payload, handler)),
        {
          queue: Queues.action(name),
        },
      ),
      nats.subscribe<unknown, void>(Subjects.actionCancel(name), (payload) => this.cancel(payload)),
    );
    await nats.connection.flush();
  }

  /** Stops taking invocations, lets running handlers finish and reply, then closes an owned connection. */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    const nats = await this.nats.catch(() => undefined);
    if (!nats) return;
    await Promise.allSettled(this.subscriptions.map((sub) => sub.drain()));
    await Promise.allSettled([...this.inFlight]);
    if (this.ownsConnection) await nats.connection.drain();
    else if (!nats.connection.isClosed()) await nats.connection.flush();
  }

  private invoke(name: string, payload: unknown, handler: ActionHandler): Promise<ActionReply> {
    // A bad request still gets an ActionReply: the runner only understands SUCCESS/FAILURE here.
    const parsed = parseWith(ActionRequestSchema, payload);
    if (!parsed.ok) {
      return Promise.resolve({ status: 'FAILURE', error: parsed.error.error.message });
    }
    const request: ActionRequest = parsed.value;
    return this.invocations.serve(request.invocationId, request.deadline, (signal) =>
      this.run(name, request, handler, signal),
    );
  }

  private async run(
    name: string,
    request: ActionRequest,
    handler: ActionHandler,
    signal: AbortSignal,
  ): Promise<ActionReply> {
    try {
      const outcome = await handler(request.args, {
        signal,
        invocationId: request.invocationId,
        execId: request.execId,
        nodeId: request.nodeId,
        deadline: request.deadline,
      });
      return replyOf(outcome);
    } catch (error) {
      // A cancelled handler failing is the expected way out, not something to warn about.
      const level = signal.aborted ? 'debug' : 'warn';
      this.logger[level](
        { err: error, action: name, invocationId: request.invocationId },
        'action handler failed',
      );
      return failureOf(error);
    }
  }

  private cancel(payload: unknown): void {
    const parsed = parseWith(ActionCancelSchema, payload);
    if (!parsed.ok) return;
    const { invocationId }: ActionCancel = parsed.value;
    // Every worker of the action hears the cancel; only the one running the invocation acts.
    this.invocations.cancel(invocationId);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }
}
