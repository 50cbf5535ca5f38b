import { ErrorBodySchema, type ErrorCode, httpStatusOf } from '@canopy/contracts';
import { applyDecorators, HttpCode } from '@nestjs/common';
import { ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * OpenAPI schemas derived from the contracts' zod schemas, so the document cannot drift from what
 * the gateway validates. Requests are described as accepted (`input`: defaults make fields
 * optional), responses as produced (`output`).
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  });
  return json as SchemaObject;
}

/** The success response, with the status the route actually answers. */
export function ZodResponse(
  status: 200 | 201 | 202,
  schema: z.ZodType,
  description: string,
): MethodDecorator {
  return applyDecorators(
    HttpCode(status),
    ApiResponse({ status, description, schema: openApiSchema(schema, 'output') }),
  );
}

const errorSchema = openApiSchema(ErrorBodySchema, 'output');

/** Documents the error responses a route can give, grouped by status. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(httpStatusOf(code), [...(byStatus.get(httpStatusOf(code)) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({ status, description: list.join(', '), schema: errorSchema }),
    ),
  );
}
