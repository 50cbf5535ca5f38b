import { keyProblem } from '@canopy/engine';
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

/**
 * A key inside a named scope that a tree can address (the engine's `keyProblem`: no empty, `.`,
 * `..` or `__proto__` segment, no control character, no scope prefix, since the scope is given
 * apart). Such a key would be stored and then never read by any tree, so it is refused where it
 * enters: initial blackboards, the REST and NATS blackboard.
 */
export const ScopedKeySchema = z.string().superRefine((key, ctx) => {
  const problem = keyProblem(key, false);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', message: `blackboard key ${JSON.stringify(key.slice(0, 64))} ${problem}` });
  }
});

/**
 * Values by key, as an initial blackboard: every key must be one a tree can address (each bad key
 * is an issue at its own path, with the reason).
 */
export const ScopedValuesSchema = z.record(z.string(), z.unknown()).superRefine((values, ctx) => {
  for (const key of Object.keys(values)) {
    const problem = keyProblem(key, false);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `blackboard key ${JSON.stringify(key.slice(0, 64))} ${problem}` });
    }
  }
});

export const BlackboardKeySchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\s*>]+$/, 'must not contain whitespace, * or >')
  .pipe(ScopedKeySchema);
