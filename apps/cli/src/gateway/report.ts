import type { DslError } from '@canopy/dsl';
import type { Io } from '../io';
import { GatewayError, GatewayUnreachable } from './client';

/**
 * Prints a failed gateway call and returns the exit code: 2 when the gateway refused the input
 * (a 4xx: a tree that does not compile, an unknown execution), 1 when the trouble is elsewhere
 * (nothing answers, a 5xx): the same split as `run`'s bad file (2) and failure at run time (1).
 */
export function reportGatewayError(io: Io, error: GatewayError | GatewayUnreachable): number {
  if (error instanceof GatewayUnreachable) {
    io.err(
      `canopy: ${error.message}; is the stack running? (npm start; --gateway URL or CANOPY_GATEWAY_URL to use another)\n`,
    );
    return 1;
  }
  const positions = compileErrorLines(error);
  if (positions.length > 0) {
    for (const line of positions) io.err(`${line}\n`);
    return 2;
  }
  if (error.status === 401) {
    io.err(
      `canopy: gateway: 401 UNAUTHENTICATED: ${error.message}; set CANOPY_API_KEY (npm start prints one)\n`,
    );
    return 2;
  }
  const code = error.code ? ` ${error.code}` : '';
  io.err(`canopy: gateway: ${error.status}${code}: ${error.message}\n`);
  for (const f of error.body?.fields ?? []) io.err(`  ${f.field}: ${f.message}\n`);
  return error.status < 500 ? 2 : 1;
}

/**
 * A 400 COMPILE_FAILED as `file:line:column: message` lines: every error of `details.errors`,
 * else the message, which starts with the first error's position.
 */
export function compileErrorLines(error: GatewayError): string[] {
  if (error.code !== 'COMPILE_FAILED') return [];
  const details = error.body?.details as { errors?: unknown } | undefined;
  const list = (Array.isArray(details?.errors) ? details.errors : []) as Partial<DslError>[];
  const lines = list
    .filter((e) => typeof e?.file === 'string' && typeof e.message === 'string')
    .map((e) => `${e.file}:${e.path ?? `${e.line}:${e.column}`}: ${e.message}`);
  return lines.length > 0 ? lines : [error.message];
}
