import { parseWith } from '@canopy/contracts';
import type { z } from 'zod';
import { RunnerError } from '../errors';

/** Validates an incoming payload; a bad one fails with VALIDATION_FAILED listing every field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, payload: unknown): z.infer<S> {
  const parsed = parseWith(schema, payload);
  if (parsed.ok) return parsed.value;
  const { code, message, ...extra } = parsed.error.error;
  throw new RunnerError(code, message, extra);
}
