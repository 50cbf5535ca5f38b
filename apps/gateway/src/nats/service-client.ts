import { type ReplyOf, type RequestOf, type RequestSubject } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, TracedNats } from '@canopy/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

/**
 * Typed request/reply to the services behind the gateway (queue groups: any replica answers).
 * An error reply becomes an AppError with the same body, so its code decides the HTTP status;
 * silence (timeout, no responders) becomes 503 DEPENDENCY_UNAVAILABLE (service-kit adds Retry-After).
 */
@Injectable()
export class ServiceClient {
  constructor(
    private readonly nats: TracedNats,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async call<S extends RequestSubject>(
    subject: S,
    req: RequestOf<S>,
    timeoutMs?: number,
  ): Promise<ReplyOf<S>> {
    try {
      return await this.nats.request<ReplyOf<S>>(subject, req, {
        timeoutMs: timeoutMs ?? this.config.REQUEST_TIMEOUT_MS,
      });
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
