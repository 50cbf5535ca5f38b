import { type BlackboardEntry, type ReplyOf, type RequestOf, type RequestSubject, Subjects } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, TracedNats } from '@canopy/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

/**
 * Requests a second delivery cannot harm: reads, and the delete of an execution (a delete that
 * already happened answers EXECUTION_NOT_FOUND, which after a lost attempt means "deleted").
 * A request to a queue group can be lost with a replica that just died, and only silence says so.
 */
const SAFE_TO_RESEND: ReadonlySet<RequestSubject> = new Set<RequestSubject>([
  Subjects.treesList,
  Subjects.treesGet,
  Subjects.execList,
  Subjects.execGet,
  Subjects.execDelete,
  Subjects.bbGet,
  Subjects.bbList,
]);

/**
 * Reads whose answer grows with the data (lists, history states and diffs, trees): their reply may
 * be larger than one NATS message and comes in chunks (TracedNats `largeReply`).
 */
const LARGE_REPLIES: ReadonlySet<RequestSubject> = new Set<RequestSubject>([
  Subjects.treesList,
  Subjects.treesGet,
  Subjects.execList,
  Subjects.historyList,
  Subjects.historyGet,
  Subjects.historyDiff,
  Subjects.historyNodes,
  Subjects.historyTimeline,
  Subjects.historyBlackboard,
]);

/**
 * Typed request/reply to the services behind the gateway (queue groups: any replica answers).
 * An error reply becomes an AppError with the same body, so its code decides the HTTP status;
 * silence (timeout, no responders) becomes 503 DEPENDENCY_UNAVAILABLE (service-kit adds Retry-After).
 * Requests safe to resend are sent again after silence, within REQUEST_TIMEOUT_MS in all: each
 * attempt gets half of it, so a lost request costs half the wait, not all of it.
 */
const RESEND_BACKOFF_MS = 50;

@Injectable()
export class ServiceClient {
  constructor(
    private readonly nats: TracedNats,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /**
   * Every entry of a scope (or of its keys starting with `prefix`), in key order: the blackboard
   * service answers a scope larger than one NATS message in pages, read here one after another.
   */
  async listScope(scope: string, prefix?: string): Promise<BlackboardEntry[]> {
    const page = await this.call(Subjects.bbList, { scope, prefix });
    const entries = page.entries;
    for (let next = page.next; next !== undefined; ) {
      const more = await this.call(Subjects.bbList, { scope, prefix, after: next });
      entries.push(...more.entries);
      next = more.next;
    }
    return entries;
  }

  async call<S extends RequestSubject>(
    subject: S,
    req: RequestOf<S>,
    timeoutMs?: number,
  ): Promise<ReplyOf<S>> {
    const total = timeoutMs ?? this.config.REQUEST_TIMEOUT_MS;
    if (!SAFE_TO_RESEND.has(subject)) return this.once(subject, req, total);
    const giveUpAt = Date.now() + total;
    const attempt = Math.max(50, Math.ceil(total / 2));
    let silent = false;
    for (;;) {
      try {
        return await this.nats.request<ReplyOf<S>>(subject, req, {
          timeoutMs: Math.min(attempt, Math.max(50, giveUpAt - Date.now())),
          largeReply: LARGE_REPLIES.has(subject),
        });
      } catch (error) {
        if (!(error instanceof NatsRequestError) || error.failure === 'remote') {
          // An earlier attempt may have done the delete before its reply was lost.
          if (
            silent &&
            subject === Subjects.execDelete &&
            (error as NatsRequestError).code === 'EXECUTION_NOT_FOUND'
          ) {
            return { deleted: true } as ReplyOf<S>;
          }
          throw this.translate(error);
        }
        silent = true;
        if (Date.now() + RESEND_BACKOFF_MS >= giveUpAt) throw this.translate(error);
        await delay(RESEND_BACKOFF_MS);
      }
    }
  }

  private async once<S extends RequestSubject>(
    subject: S,
    req: RequestOf<S>,
    timeoutMs: number,
  ): Promise<ReplyOf<S>> {
    try {
      return await this.nats.request<ReplyOf<S>>(subject, req, { timeoutMs, largeReply: LARGE_REPLIES.has(subject) });
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** NATS failures as HTTP-ready errors; anything else passes through (a 500). */
  translate(error: unknown): unknown {
    if (!(error instanceof NatsRequestError)) return error;
    if (error.failure === 'remote') return AppError.fromBody(error.toBody());
    return new AppError('DEPENDENCY_UNAVAILABLE', error.message, undefined, {}, { cause: error });
  }
}
