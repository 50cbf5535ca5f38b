import { z } from 'zod';
import { ID_PATTERN } from './names';

export const IdSchema = z.string().regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ -');
export const StatusSchema = z.enum(['IDLE', 'RUNNING', 'SUCCESS', 'FAILURE']);
export const JsonValueSchema: z.ZodType<unknown> = z.unknown();

/** `global`, `team:<id>` or `exec:<id>`. */
export const ScopeSchema = z
  .string()
  .regex(/^(global|team:[A-Za-z0-9_-]{1,128}|exec:[A-Za-z0-9_-]{1,128})$/, 'must be global, team:<id> or exec:<id>');
export type Scope = z.infer<typeof ScopeSchema>;

export const BlackboardKeySchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\s*>]+$/, 'must not contain whitespace, * or >');
