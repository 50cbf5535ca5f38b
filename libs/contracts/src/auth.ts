import { z } from 'zod';
import { IdSchema } from './common';

/** Gateway roles, weakest first: each role may do everything the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** True when `held` is at least `required`. */
export function roleAllows(held: Role, required: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(required);
}

/** Keys the gateway makes start with this, so a leaked one is recognisable (secret scanners). */
export const API_KEY_PREFIX = 'cnpy_';

/** `POST /keys`: a key with a role, optionally limited to teams. */
export const CreateKeyRequestSchema = z.object({
  role: RoleSchema,
  /** Limits the key to these teams' executions and `team:` scopes; absent means every team. */
  teams: z.array(IdSchema).min(1).max(100).optional(),
  /** A label for people (`GET /keys` shows it); never used for access. */
  name: z.string().min(1).max(200).optional(),
});
export type CreateKeyRequest = z.infer<typeof CreateKeyRequestSchema>;

/** A stored key as `GET /keys` lists it: never the key itself. */
export const ApiKeySchema = z.object({
  id: z.string(),
  role: RoleSchema,
  teams: z.array(z.string()).optional(),
  name: z.string().optional(),
  createdAt: z.string(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** The answer to `POST /keys`: the only time the key is shown. */
export const CreatedKeySchema = ApiKeySchema.extend({ key: z.string() });
export type CreatedKey = z.infer<typeof CreatedKeySchema>;

export const KeyIdParamsSchema = z.object({ id: z.string().regex(/^[a-f0-9]{16}$/, 'must be a key id') });
