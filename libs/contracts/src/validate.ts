import type { z } from 'zod';
import type { ErrorBody, FieldError } from './errors';

/** Every field error of a failed parse, with dotted paths (`blackboard.x`, `count`). */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/** Validate at the edge: a typed value, or a VALIDATION_FAILED body listing every field error. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const fields = fieldErrors(result.error);
  return {
    ok: false,
    error: {
      error: {
        code: 'VALIDATION_FAILED',
        message: `invalid request: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
        fields,
      },
    },
  };
}
