import type { ErrorBody, ErrorCode } from '@canopy/contracts';
import { httpStatusOf } from '@canopy/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';

/** Errors of the router that Fastify answers itself, before any route (and Nest's filter) runs. */
const ROUTER_CODES: Record<string, ErrorCode> = {
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** Errors of Node's HTTP parser, answered on the socket (no request exists yet). */
const CLIENT_CODES: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
};

/**
 * The Fastify options that put the errors Fastify answers outside of routes in the one error
 * shape: a URL that does not decode, an over-long path parameter (router), headers over Node's
 * limit or a request line that does not parse (HTTP parser).
 */
export function frameworkErrorOptions() {
  return {
    frameworkErrors: (error: Error & { code?: string }, _req: FastifyRequest, reply: FastifyReply) => {
      const code = ROUTER_CODES[error.code ?? ''] ?? 'VALIDATION_FAILED';
      void reply.code(httpStatusOf(code)).send(body(code, error.message));
    },
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      // A reset connection has nobody to answer.
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const code = CLIENT_CODES[error.code ?? ''] ?? 'VALIDATION_FAILED';
      const status = httpStatusOf(code);
      const text = JSON.stringify(body(code, code === 'VALIDATION_FAILED' ? 'malformed HTTP request' : (STATUS_CODES[status] ?? 'client error')));
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`,
        );
      }
      socket.destroy(error);
    },
  };
}

function body(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}
