import {
  ActionReplySchema,
  Subjects,
  type ActionCancel,
  type ActionRequest,
} from '@canopy/contracts';
import type { ActionFn, ActionOutcome, ActionResolver } from '@canopy/engine';
import type { TracedNats } from '@canopy/telemetry';

/** Action argument that overrides the runner's ACTION_TIMEOUT_MS for one node. */
export const TIMEOUT_ARG = 'timeout-ms';

export interface RemoteActionsOptions {
  defaultTimeoutMs: number;
  onError?: (error: unknown, action: string) => void;
}

/**
 * Answers every action name not registered locally by asking an action worker over NATS
 * (`canopy.action.<name>`, workers in queue group `canopy-action-<name>`). The returned promise
 * keeps the node RUNNING until the reply; a timeout, no worker, or a malformed reply is FAILURE. A
 * halt (the node's AbortSignal) broadcasts `ActionCancel` so the worker can stop.
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
    try {
      const reply = ActionReplySchema.safeParse(await this.nats.request<unknown>(Subjects.action(name), request, { timeoutMs: timeout }));
      if (!reply.success) {
        this.options.onError?.(new Error(`malformed reply from action worker: ${reply.error.message}`), name);
        return 'FAILURE';
      }
      return reply.data.status;
    } catch (error) {
      // Timeout, no worker, or the worker answered an ErrorBody: the node fails.
      this.options.onError?.(error, name);
      return 'FAILURE';
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }
}
