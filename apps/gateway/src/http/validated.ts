import { ZodValidationPipe } from '@canopy/service-kit';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** A pipe that answers 400 VALIDATION_FAILED listing every field error of `schema`. */
export const valid = <S extends z.ZodType>(schema: S): ZodValidationPipe<S> =>
  new ZodValidationPipe(schema);

/**
 * `{scope, key}` of `/blackboard/:scope/keys/*`: Fastify names the wildcard `*` (it must end the
 * route), so the key, which may contain `/`, is read from there.
 */
export const ScopeAndKey = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const params = ctx
    .switchToHttp()
    .getRequest<FastifyRequest<{ Params: Record<string, string> }>>().params;
  return { scope: params.scope, key: params['*'] };
});
