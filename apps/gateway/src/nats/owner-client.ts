import {
  type Command,
  type CommandReply,
  type ErrorBody,
  type ErrorCode,
  shardOf,
  Subjects,
  TickInterruptedDetailsSchema,
  type TickResponse,
} from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, TracedNats } from '@canopy/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ServiceClient } from './service-client';

/**
 * Commands a second delivery cannot harm and answers as the first would: reads, and changes that
 * land in the same state. A timed-out tick, start or step, or a breakpoint or watch added, may
 * have been applied, so it is not resent behind the client's back (a second add would leave two
 * hooks, a second step would move on twice): it answers 503 and the client decides. Removals are
 * not resent either: the second delivery would answer for nothing removed (`{removed: []}`,
 * WATCH_NOT_FOUND) although the first removed it.
 */
const SAFE_TO_RESEND: ReadonlySet<Command['type']> = new Set([
  'get',
  'debug',
  'pause',
  'resume',
  'stop',
]);

/** The codes any owner command can answer besides its own (for the OpenAPI document). */
export const OWNER_COMMAND_ERRORS = [
  'VALIDATION_FAILED',
  'EXECUTION_NOT_FOUND',
  'OWNER_UNAVAILABLE',
  'DEPENDENCY_UNAVAILABLE',
] as const satisfies readonly ErrorCode[];

/**
 * Replies a runner gives only when it did not apply the command (a `tick` may have applied part
 * of it and says how much in `details.ticksDone`): resending is safe for every command. FENCED is
 * a runner that found out mid-command that its shard had moved: nothing more of it was applied.
 */
const NOT_APPLIED: ReadonlySet<ErrorCode> = new Set([
  'OWNER_UNAVAILABLE',
  'DEPENDENCY_UNAVAILABLE',
  'FENCED',
]);

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 400;

/**
 * Sends owner commands to `canopy.cmd.<shard>.<execId>`, where only the runner holding the shard
 * listens. While a shard changes hands nobody may listen for a moment ("no responders"), or the
 * runner handing it over answers OWNER_UNAVAILABLE (FENCED if it lost the shard unannounced), or a
 * runner without Redis answers DEPENDENCY_UNAVAILABLE: all of these are retried with backoff within OWNER_RETRY_BUDGET_MS, a tick
 * only for the ticks not done yet. Timeouts are retried only for SAFE_TO_RESEND. Then the
 * execution either does not exist (404, answered by any runner from Redis) or is unavailable (503;
 * service-kit adds Retry-After).
 */
@Injectable()
export class OwnerClient {
  constructor(
    private readonly nats: TracedNats,
    private readonly services: ServiceClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async send<C extends Command>(execId: string, command: C): Promise<CommandReply<C>> {
    const subject = Subjects.command(shardOf(execId, this.config.SHARD_COUNT), execId);
    const giveUpAt = Date.now() + this.config.OWNER_RETRY_BUDGET_MS;
    let backoff = FIRST_BACKOFF_MS;
    let pending: Command = command;
    let ticksDone = 0;
    let lastFailure: NatsRequestError;
    for (;;) {
      try {
        const reply = await this.nats.request<CommandReply<C>>(subject, pending, {
          timeoutMs: this.replyDeadlineMs(pending),
          pattern: 'canopy.cmd.*.*',
          // The debugger's view holds the blackboards: it may be larger than one NATS message.
          largeReply: pending.type === 'debug' || pending.type === 'step',
        });
        return pending.type === 'tick' ? (withEarlierTicks(reply as TickResponse, ticksDone) as CommandReply<C>) : reply;
      } catch (error) {
        if (!(error instanceof NatsRequestError)) throw error;
        lastFailure = error;
        if (error.failure === 'remote') {
          const body = error.toBody();
          if (!NOT_APPLIED.has(body.error.code)) throw AppError.fromBody(body);
          if (pending.type === 'tick') {
            const done = Math.min(ticksDoneOf(body), pending.count);
            ticksDone += done;
            if (done === pending.count) return (await this.ticked(execId)) as CommandReply<C>;
            pending = { ...pending, count: pending.count - done };
          }
        } else if (error.failure === 'timeout' && !SAFE_TO_RESEND.has(command.type)) {
          break;
        }
        if (Date.now() + backoff > giveUpAt) break;
        await delay(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    throw await this.unavailable(execId, command, lastFailure, ticksDone);
  }

  /** A tick command's reply comes after its ticks: its deadline grows with their number. */
  private replyDeadlineMs(command: Command): number {
    const base = this.config.REQUEST_TIMEOUT_MS;
    return command.type === 'tick' ? base + command.count * this.config.TICK_REPLY_MS_PER_TICK : base;
  }

  /** The answer to a tick whose every tick was done, though not all in the attempt that replied. */
  private async ticked(execId: string): Promise<TickResponse> {
    const { tick, status, state } = await this.services.call(Subjects.execGet, { id: execId });
    return { tick, status, state };
  }

  private async unavailable(
    execId: string,
    command: Command,
    failure: NatsRequestError,
    ticksDone: number,
  ): Promise<AppError> {
    // A tick that got part of the way says so: the client must not redo what was done.
    const details = command.type === 'tick' && ticksDone > 0 ? { ticksDone } : undefined;
    if (failure.failure === 'remote') {
      const { code, message } = failure.toBody().error;
      return new AppError(code, message, details, {}, { cause: failure });
    }
    await this.assertExists(execId);
    return new AppError(
      'OWNER_UNAVAILABLE',
      `no runner answered for execution ${execId} (${failure.failure}); its shard may be changing hands`,
      details,
      {},
      { cause: failure },
    );
  }

  /** 404 when the runners' shared store says the execution is unknown; silent when nobody can tell. */
  private async assertExists(execId: string): Promise<void> {
    try {
      await this.services.call(Subjects.execGet, { id: execId });
    } catch (error) {
      if (error instanceof AppError && error.code === 'EXECUTION_NOT_FOUND') throw error;
    }
  }
}

/** A reply without (valid) details did no ticks. */
function ticksDoneOf(body: ErrorBody): number {
  const details = TickInterruptedDetailsSchema.safeParse(body.error.details);
  return details.success ? details.data.ticksDone : 0;
}

/** A reply cut short (`ticksDone`) after earlier attempts did some ticks counts those too. */
function withEarlierTicks(reply: TickResponse, earlier: number): TickResponse {
  return reply.ticksDone === undefined || earlier === 0
    ? reply
    : { ...reply, ticksDone: reply.ticksDone + earlier };
}
