import {
  ActionReplySchema,
  Subjects,
  type ActionCancel,
  type ActionRequest,
} from '@canopy/contracts';
import { ActionError, type ActionFn, type ActionOutcome, type ActionResolver } from '@canopy/engine';
import { NatsRequestError, type TracedNats } from '@canopy/telemetry';

/** Action argument that overrides the runner's ACTION_TIMEOUT_MS for one node. */
export const TIMEOUT_ARG = 'timeout-ms';

export interface RemoteActionsOptions {
  defaultTimeoutMs: number;
  onError?: (error: unknown, action: string) => void;
}

/**
 * Answers every action name not registered locally by asking an action worker over NATS
 * (`canopy.action.<name>`, workers in queue group `canopy-action-<name>`). The returned promise
 * keeps the node RUNNING until the reply (its `output` goes to the node's `:into`). A timeout is
 * ACTION_TIMEOUT, no worker ACTION_UNAVAILABLE, a worker's failure or a malformed reply
 * ACTION_FAILED with the worker's message, in the tick record. A halt (the node's AbortSignal)
 * broadcasts `ActionCancel` so the worker can stop.
 */
export class RemoteActions implements ActionResolver {
  constructor(
    private readonly nats: TracedNats,
    private readonly options: RemoteActionsOptions,
  ) {}

  resolve(name: string): ActionFn {
    return (args, ctx) => this.invoke(name, args, ctx);
  }

  private async invoke(
    name: string,
    args: Readonly<Record<string, unknown>>,
    ctx: Parameters<ActionFn>[1],
  ): Promise<ActionOutcome> {
    const { [TIMEOUT_ARG]: override, ...rest } = args;
    const timeout =
      typeof override === 'number' && override > 0 ? override : this.options.defaultTimeoutMs;
    const request: ActionRequest = {
      invocationId: ctx.invocationId,
      execId: ctx.execId,
      nodeId: ctx.nodeId,
      action: name,
      args: rest,
      deadline: Date.now() + timeout,
    };
    if (ctx.signal.aborted) return 'FAILURE';
    const onAbort = () => {
      const cancel: ActionCancel = { invocationId: ctx.invocationId };
      this.nats.publish(Subjects.actionCancel(name), cancel);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let answer: unknown;
    try {
      answer = await this.nats.request<unknown>(Subjects.action(name), request, { timeoutMs: timeout });
    } catch (error) {
      this.options.onError?.(error, name);
      throw remoteFailure(error, timeout);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    const reply = ActionReplySchema.safeParse(answer);
    if (!reply.success) throw new ActionError('ACTION_FAILED', `malformed reply from its worker: ${reply.error.message}`);
    const { status, output, error } = reply.data;
    // The worker's handler threw: its message goes to the record, like a local action's.
    if (error !== undefined) throw new ActionError('ACTION_FAILED', `worker failed: ${error}`);
    return output === undefined ? status : { status, output };
  }
}

/** A failed request as the node records it: nobody serving the action, no reply in time, or an error reply. */
function remoteFailure(error: unknown, timeoutMs: number): ActionError {
  if (error instanceof NatsRequestError) {
    if (error.failure === 'no-responders') return new ActionError('ACTION_UNAVAILABLE', 'no action worker serves it');
    if (error.failure === 'timeout') return new ActionError('ACTION_TIMEOUT', `no reply from its worker within ${timeoutMs} ms`);
  }
  return new ActionError('ACTION_FAILED', `worker failed: ${error instanceof Error ? error.message : String(error)}`);
}
