import { type ErrorBody, type ErrorCode, httpStatusOf } from '@canopy/contracts';

/** Body fields beyond code/message/details that some errors carry (field errors, DSL positions). */
export type ErrorExtras = Omit<ErrorBody['error'], 'code' | 'message' | 'details'>;

/**
 * A failure with a stable code from @canopy/contracts. The code decides the HTTP status; the body
 * is the same over HTTP and in NATS replies: `{error:{code,message,details?}}`.
 */
export class AppError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly extras: ErrorExtras = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.httpStatus = httpStatusOf(code);
  }

  /** Rebuilds an error from a body, e.g. one a validator or another service produced. */
  static fromBody(body: ErrorBody): AppError {
    const { code, message, details, ...extras } = body.error;
    return new AppError(code, message, details, extras);
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...this.extras,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}
