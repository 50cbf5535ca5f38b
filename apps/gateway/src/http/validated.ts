import { ZodValidationPipe } from '@canopy/service-kit';
import { Body, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { openApiSchema } from '../openapi/zod-schema';

/** A pipe that answers 400 VALIDATION_FAILED listing every field error of `schema`. */
export const valid = <S extends z.ZodType>(schema: S): ZodValidationPipe<S> =>
  new ZodValidationPipe(schema);

/**
 * The request body, validated against `schema` and documented in OpenAPI from the same schema, so
 * the two cannot drift: `@ZodBody(StartRequestSchema) body: StartRequest`. With `required: false`
 * a missing body is validated as `{}` (the schema's defaults apply).
 */
export function ZodBody(schema: z.ZodType, opts: { required?: boolean } = {}): ParameterDecorator {
  const required = opts.required ?? true;
  const validate = Body(valid(required ? schema : z.preprocess((body) => body ?? {}, schema)));
  const document = ApiBody({ schema: openApiSchema(schema, 'input'), required });
  return (target, method, index) => {
    if (method === undefined) throw new Error('@ZodBody() goes on a parameter of a route method');
    validate(target, method, index);
    const descriptor = Object.getOwnPropertyDescriptor(target, method);
    if (descriptor) document(target, method, descriptor);
  };
}

/**
 * The path parameters, with Fastify's wildcard named `name`: a wildcard is unnamed (`*`) and must
 * end the route, and it is how a value containing `/` is taken whole (a blackboard key, the id of
 * a node inside a subtree instance): `@PathWithRest('key', valid(schema))`.
 */
export const PathWithRest = createParamDecorator((name: string, ctx: ExecutionContext) => {
  const { '*': rest, ...params } = ctx
    .switchToHttp()
    .getRequest<FastifyRequest<{ Params: Record<string, string> }>>().params;
  return { ...params, [name]: rest };
});
