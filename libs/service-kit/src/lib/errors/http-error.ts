import { type ErrorBody, type ErrorCode, ErrorCodes, httpStatusOf } from '@canopy/contracts';
import { HttpException } from '@nestjs/common';

export interface HttpError {
  status: number;
  body: ErrorBody;
}

// Fastify rejects some requests before Nest sees them; Nest hands those on as HttpExceptions
// whose cause is the FastifyError.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'DEPENDENCY_UNAVAILABLE',
};

const INTERNAL: HttpError = {
  status: 500,
  body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
};

/** Maps anything thrown while serving a request to a status and an ErrorBody with a stable code. */
export function toHttpError(exception: unknown): HttpError {
  if (hasErrorBody(exception)) {
    const body = exception.toBody();
    return { status: statusOf(body.error.code), body };
  }
  if (exception instanceof HttpException) return fromHttpException(exception);
  return INTERNAL;
}

function fromHttpException(exception: HttpException): HttpError {
  const status = exception.getStatus();
  if (status >= 500 && status !== 503) return INTERNAL;
  const cause = (exception.cause as { code?: unknown } | undefined)?.code;
  const code =
    (typeof cause === 'string' ? FASTIFY_CODES[cause] : undefined) ??
    STATUS_CODES[status] ??
    // Any other 4xx that Nest or Fastify raises (pipes, headers) is a request to fix.
    'VALIDATION_FAILED';
  // The status is always the code's, so a client can go by either.
  return { status: httpStatusOf(code), body: { error: { code, message: messageOf(exception) } } };
}

/** Nest's built-in exceptions put the text in `response.message`, sometimes as a list. */
function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function statusOf(code: string): number {
  return Object.hasOwn(ErrorCodes, code) ? httpStatusOf(code as ErrorCode) : 500;
}

function hasErrorBody(error: unknown): error is Error & { toBody(): ErrorBody } {
  return error instanceof Error && typeof (error as { toBody?: unknown }).toBody === 'function';
}
