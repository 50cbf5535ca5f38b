import {
  type Command,
  CommandSchema,
  type ErrorBody,
  type Execution,
  parseWith,
  shardOf,
  Subjects,
  type TickInterruptedDetails,
} from '@canopy/contracts';
import { respondBytes } from '@canopy/telemetry';
import type { Msg, NatsConnection } from '@nats-io/nats-core';

/** What the stand-in runner does with one command it receives (a function: decided per command). */
export type Step =
  { reply: unknown } | { error: ErrorBody['error'] } | 'silent' | ((command: Command) => Step);

export const ownerGone = (ticksDone?: number): Step => ({
  error: {
    code: 'OWNER_UNAVAILABLE',
    message: 'the execution moved to another runner; retry',
    ...(ticksDone === undefined ? {} : { details: { ticksDone } satisfies TickInterruptedDetails }),
  },
});

export const storageDown: Step = {
  error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'storage unavailable; retry' },
};

export function execution(id: string, extra: Partial<Execution> = {}): Execution {
  return {
    id,
    tree: 'patrol',
    version: 1,
    mode: 'manual',
    state: 'running',
    status: 'RUNNING',
    tick: 0,
    createdAt: new Date(0).toISOString(),
    ...extra,
  };
}

/**
 * Stands in for the runners on real NATS, answering in their wire format (JSON, `{error:{...}}`):
 * the owner of one execution follows a script of steps, and `canopy.svc.exec.get` (any runner,
 * from Redis) knows the executions in `stored`. A command that is not a valid `Command` is
 * answered VALIDATION_FAILED, as the runner's command subscription does. The gateway is what is
 * under test.
 */
export class StandInRunners {
  readonly stored = new Map<string, Execution>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly shards: number,
  ) {
    nc.subscribe(Subjects.execGet, {
      callback: (_error, msg) => {
        const { id } = msg.json<{ id: string }>();
        const found = this.stored.get(id);
        respond(
          msg,
          found ?? { error: { code: 'EXECUTION_NOT_FOUND', message: `no execution ${id}` } },
        );
      },
    });
  }

  /**
   * The owner of `execId` takes the `steps` in turn, then `then` for every further command;
   * `seen` is every command it received, as sent.
   */
  owner(execId: string, steps: Step[], then: Step = 'silent'): { seen: Command[] } {
    const owner = { seen: [] as Command[], steps: [...steps], then };
    this.nc.subscribe(Subjects.command(shardOf(execId, this.shards), execId), {
      callback: (_error, msg) => {
        const sent = msg.json<Command>();
        owner.seen.push(sent);
        const parsed = parseWith(CommandSchema, sent);
        if (!parsed.ok) return respond(msg, parsed.error);
        let step = owner.steps.shift() ?? owner.then;
        while (typeof step === 'function') step = step(parsed.value);
        if (step === 'silent') return;
        respond(msg, 'reply' in step ? step.reply : { error: step.error });
      },
    });
    this.stored.set(execId, execution(execId));
    return owner;
  }

  /** Resolves once the server has every subscription made so far. */
  ready(): Promise<void> {
    return this.nc.flush();
  }
}

function respond(msg: Msg, body: unknown): void {
  respondBytes(msg, new TextEncoder().encode(JSON.stringify(body)));
}
