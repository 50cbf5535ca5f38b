// Types only from contracts: this file is part of the browser entry (@canopy/sdk/rest), which must
// not load contracts' zod schemas and the engine at run time (docs/sdk.md, "In a browser").
import type { ErrorBody } from '@canopy/contracts';

/** The gateway answered with an error: its `{error:{code,message,...}}` when it sent one. */
export class CanopyError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody['error'] | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'CanopyError';
  }

  /** The stable error code (docs/api.md), when the gateway sent the error shape. */
  get code(): string | undefined {
    return this.body?.code;
  }
}

/** Nothing answered at the gateway's address (refused, unknown host, timed out). */
export class CanopyUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the gateway at ${url} (${reason})`);
    this.name = 'CanopyUnreachable';
  }
}

/** A non-2xx answer as a CanopyError: the error body when there is one, else the text. */
export function errorOf(status: number, statusText: string, body: unknown): CanopyError {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  if (isErrorShape(parsed)) return new CanopyError(status, parsed.error, parsed.error.message);
  const snippet = (typeof body === 'string' ? body : '').trim().slice(0, 200);
  return new CanopyError(
    status,
    undefined,
    `HTTP ${status} ${statusText}${snippet ? `: ${snippet}` : ''}`,
  );
}

/** `{error: {code, message}}`: what the gateway sends with every non-2xx answer (docs/api.md). */
function isErrorShape(value: unknown): value is ErrorBody {
  const error = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** Why fetch (or a socket) failed, in a word: ECONNREFUSED, ENOTFOUND, timed out. */
export function reasonOf(error: unknown, timeoutMs?: number): string {
  // Shapes, not instanceof: fetch's errors may come from another realm (Jest, vm contexts).
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    cause?: unknown;
  };
  if (e.name === 'TimeoutError')
    return timeoutMs ? `no answer within ${timeoutMs / 1000} s` : 'timed out';
  const cause = (e.cause ?? error) as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : String(cause);
}
