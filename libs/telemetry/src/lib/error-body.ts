import { type ErrorBody, type ErrorCode, ErrorCodes } from '@canopy/contracts';

/** What a handler's error looks like on the wire. */
export function errorBodyOf(error: unknown): ErrorBody {
  if (hasErrorBody(error)) return error.toBody();
  if (isCodedError(error)) {
    const { details } = error as { details?: unknown };
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(details === undefined ? {} : { details }),
      },
    };
  }
  // Unknown failures may carry internals (hosts, queries): they are logged, not replied.
  return { error: { code: 'INTERNAL', message: 'internal error' } };
}

/** Errors that know their wire form: AppError, NatsRequestError, a service's own error class. */
export function hasErrorBody(error: unknown): error is Error & { toBody(): ErrorBody } {
  return error instanceof Error && typeof (error as { toBody?: unknown }).toBody === 'function';
}

/** An Error whose `code` is one of the contract's codes. */
export function isCodedError(error: unknown): error is Error & { code: ErrorCode } {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && Object.hasOwn(ErrorCodes, code);
}

/** A message this side could not accept (bad JSON, failed schema). */
export class InvalidPayloadError extends Error {
  constructor(private readonly body: ErrorBody) {
    super(body.error.message);
    this.name = 'InvalidPayloadError';
  }

  toBody(): ErrorBody {
    return this.body;
  }
}
