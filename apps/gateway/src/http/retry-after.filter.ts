import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { UnavailableError } from './unavailable.error';

/**
 * Adds `Retry-After` to 503s. Everything else is left to service-kit's global filter, which
 * writes the same `{error:{code,message}}` body but knows nothing of headers.
 */
@Catch(UnavailableError)
export class RetryAfterFilter implements ExceptionFilter<UnavailableError> {
  catch(error: UnavailableError, host: ArgumentsHost): void {
    void host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('Retry-After', String(error.retryAfterSeconds))
      .status(error.httpStatus)
      .send(error.toBody());
  }
}
