import { z } from 'zod';
import { BlackboardKeySchema, IdSchema, ScopeSchema } from './common';
import { CreateBreakpointRequestSchema } from './debug';
import { ErrorCodes, type ErrorCode } from './errors';
import { ListExecutionsRequestSchema } from './executions';

/**
 * REST path and query shapes of the gateway. Path and query values arrive as strings, so numbers
 * are coerced here; bodies use the schemas next to their NATS counterparts.
 */

export const TreeNameParamsSchema = z.object({ name: IdSchema });
export const TreeVersionParamsSchema = z.object({
  name: IdSchema,
  v: z.coerce.number().int().positive(),
});

export const ExecIdParamsSchema = z.object({ id: IdSchema });
export const ListExecutionsQuerySchema = ListExecutionsRequestSchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * `DELETE /executions/:id/breakpoints/*nodeId`: a node id has `.` (`0.2.1`) and, inside a
 * subtree instance, `/`; it is the rest of the path.
 */
export const BreakpointNodeParamsSchema = ExecIdParamsSchema.extend({
  nodeId: CreateBreakpointRequestSchema.shape.nodeId,
});
/** `DELETE /executions/:id/watches/:watchId`; the bounds of the `watch.remove` command's. */
export const WatchParamsSchema = ExecIdParamsSchema.extend({
  watchId: z.string().min(1).max(128),
});

export const ScopeParamsSchema = z.object({ scope: ScopeSchema });
export const BlackboardKeyParamsSchema = z.object({ scope: ScopeSchema, key: BlackboardKeySchema });
export const ListKeysQuerySchema = z.object({ prefix: z.string().max(512).optional() });
/** `DELETE /blackboard/:scope/keys/*key?version=n` deletes only if the key is at version n. */
export const DeleteKeyQuerySchema = z.object({
  version: z.coerce.number().int().min(1).optional(),
});

export const DeletedExecutionSchema = z.object({ deleted: z.literal(true) });
export const DeletedKeySchema = z.object({ deleted: z.literal(true), version: z.number().int() });

/** The JSON shape of `ErrorBody` (errors.ts), for OpenAPI documents. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ErrorCodes) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    details: z.unknown().optional(),
  }),
});
