import type { ErrorBody, ErrorCode } from '@canopy/contracts';

type ErrorExtra = Omit<ErrorBody['error'], 'code' | 'message'>;

/** A failure with a stable code, replied to callers as `{error:{code,message,...}}`. */
export class RunnerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(message);
    this.name = 'RunnerError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}
