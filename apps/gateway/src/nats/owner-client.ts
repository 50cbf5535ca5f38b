import { type Command, type CommandReply, shardOf, Subjects } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, TracedNats } from '@canopy/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { UnavailableError } from '../http/unavailable.error';
import { ServiceClient } from './service-client';

/**
 * Commands a second delivery cannot harm. A timed-out tick or start may have been applied, so it
 * is not resent behind the client's back: it answers 503 and the client decides.
 */
const SAFE_TO_RESEND: ReadonlySet<Command['type']> = new Set(['get', 'pause', 'resume', 'stop']);

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 400;

/**
 * Sends owner commands to `canopy.cmd.<shard>.<execId>`, where only the runner holding the shard
 * listens. While shards change hands nobody may be listening for a moment, so "no responders"
 * is retried with backoff within a budget. After that the execution either does not exist (404,
 * answered by any runner from Redis) or exists but has no owner right now (503 + Retry-After).
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
    let lastFailure: NatsRequestError | undefined;
    for (;;) {
      try {
        return await this.nats.request<CommandReply<C>>(subject, command, {
          timeoutMs: this.config.REQUEST_TIMEOUT_MS,
          pattern: 'canopy.cmd.*.*',
        });
      } catch (error) {
        if (!(error instanceof NatsRequestError)) throw error;
        if (error.failure === 'remote') throw AppError.fromBody(error.toBody());
        lastFailure = error;
        const resendable = error.failure === 'no-responders' || SAFE_TO_RESEND.has(command.type);
        if (!resendable || Date.now() + backoff > giveUpAt) break;
        await delay(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    await this.assertExists(execId);
    throw new UnavailableError(
      'OWNER_UNAVAILABLE',
      `no runner answered for execution ${execId} (${lastFailure.failure}); its shard may be changing hands`,
      this.config.RETRY_AFTER_SECONDS,
      { cause: lastFailure },
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
