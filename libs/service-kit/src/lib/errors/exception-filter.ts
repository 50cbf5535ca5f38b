import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { toHttpError } from './http-error';

/**
 * Every HTTP error leaves as `{error:{code,message,...}}` with a stable code. Server faults are
 * logged with their stack and answered without it.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body } = toHttpError(exception);
    if (status >= 500)
      this.logger.error({ err: exception, code: body.error.code }, 'request failed');
    host.switchToHttp().getResponse<FastifyReply>().status(status).send(body);
  }
}
