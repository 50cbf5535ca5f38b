import type { ErrorCode } from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';

/** A 503 that tells the client when to come back (`Retry-After`), set by RetryAfterFilter. */
export class UnavailableError extends AppError {
  constructor(
    code: Extract<ErrorCode, 'OWNER_UNAVAILABLE' | 'DEPENDENCY_UNAVAILABLE'>,
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, undefined, {}, options);
    this.name = 'UnavailableError';
  }
}
