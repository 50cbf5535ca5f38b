import { parseWith } from '@canopy/contracts';
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { AppError } from './app-error';

/**
 * Validates a body, query or param against a contracts schema:
 * `@Body(new ZodValidationPipe(CreateExecutionRequest)) body: CreateExecutionRequest`.
 * A bad value is a 400 VALIDATION_FAILED listing every field error.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const parsed = parseWith(this.schema, value);
    if (!parsed.ok) throw AppError.fromBody(parsed.error);
    return parsed.value;
  }
}
