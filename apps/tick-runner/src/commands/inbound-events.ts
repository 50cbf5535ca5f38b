import {
  ID_PATTERN,
  Queues,
  Subjects,
  TriggerRequestSchema,
  shardOf,
  type Command,
  type ErrorCode,
  type TriggerRequest,
  type TriggerResponse,
} from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, type TracedNats } from '@canopy/telemetry';
import type { Subscription } from '@nats-io/nats-core';
import { setTimeout as delay } from 'node:timers/promises';

/** Owner replies that mean "not applied, ask again" (the shard is changing hands, Redis blinked). */
const NOT_APPLIED: ReadonlySet<ErrorCode> = new Set(['OWNER_UNAVAILABLE', 'DEPENDENCY_UNAVAILABLE', 'FENCED']);
const OWNER_TIMEOUT_MS = 5000;
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 400;

/**
 * `canopy.in.<execId>`: any runner takes the message (queue group) and hands it to the owner as a
 * `trigger` command carrying the event, which stores it before answering; a request is answered
 * with that answer (TriggerResponse or the error). Only the owner writes the queue, under its
 * lease, so the queue's order is the order the owner stored events in.
 */
export function subscribeInbound(nats: TracedNats, inbound: InboundEvents): Subscription {
  return nats.subscribe<TriggerRequest>(
    Subjects.inboundAll,
    (request, msg) => inbound.forward(msg.subject.slice(Subjects.inbound('').length), request),
    { queue: Queues.runners, schema: TriggerRequestSchema },
  );
}

/**
 * Hands events to the owning runner. While a shard changes hands nobody may listen on its command
 * subject for a moment, or the runner letting it go answers "not applied": both are asked again
 * with backoff within `retryBudgetMs` (longer than a crashed owner's lease takes to expire). A
 * timeout is not resent (the owner may have stored the event): the error says so.
 */
export class InboundEvents {
  constructor(
    private readonly nats: TracedNats,
    private readonly shardCount: number,
    private readonly retryBudgetMs: number,
  ) {}

  async forward(execId: string, request: TriggerRequest): Promise<TriggerResponse> {
    if (!ID_PATTERN.test(execId)) throw new AppError('EXECUTION_NOT_FOUND', `no execution ${execId}`);
    const subject = Subjects.command(shardOf(execId, this.shardCount), execId);
    const command: Command = { type: 'trigger', event: { name: request.event, payload: request.payload } };
    const giveUpAt = Date.now() + this.retryBudgetMs;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      let failure: NatsRequestError;
      try {
        return await this.nats.request<TriggerResponse>(subject, command, { timeoutMs: OWNER_TIMEOUT_MS, pattern: 'canopy.cmd.*.*' });
      } catch (error) {
        if (!(error instanceof NatsRequestError)) throw error;
        failure = error;
      }
      if (failure.failure === 'remote' && !NOT_APPLIED.has(failure.code)) throw AppError.fromBody(failure.toBody());
      if (failure.failure === 'timeout') {
        throw new AppError('OWNER_UNAVAILABLE', `the owner of execution ${execId} did not answer in ${OWNER_TIMEOUT_MS} ms; the event may or may not be stored`);
      }
      if (Date.now() + backoff > giveUpAt) {
        throw failure.failure === 'remote'
          ? AppError.fromBody(failure.toBody())
          : new AppError('OWNER_UNAVAILABLE', `no runner owns execution ${execId}'s shard now; the event was not stored`);
      }
      await delay(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}
