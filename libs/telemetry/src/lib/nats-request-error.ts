import type { ErrorBody } from '@canopy/contracts';

export type NatsRequestFailure = 'remote' | 'timeout' | 'no-responders';

/**
 * A request that did not get a normal reply: the responder replied an ErrorBody (`remote`), or
 * nobody answered in time, or nobody listens on the subject. `toBody()` lets an HTTP edge pass
 * the error on as is.
 */
export class NatsRequestError extends Error {
  constructor(
    readonly subject: string,
    readonly failure: NatsRequestFailure,
    private readonly body: ErrorBody,
    options?: { cause?: unknown },
  ) {
    super(body.error.message, options);
    this.name = 'NatsRequestError';
  }

  get code(): ErrorBody['error']['code'] {
    return this.body.error.code;
  }

  toBody(): ErrorBody {
    return this.body;
  }
}
