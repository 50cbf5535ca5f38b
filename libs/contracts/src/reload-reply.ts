import { z } from 'zod';
import { BreakpointSchema } from './debug';
import { ExecutionSchema } from './executions';
import { ReloadPolicySchema } from './reload';

/** The reply of `PUT /executions/:id/tree` (the `reload` command). */
export const ReloadReplySchema = z.object({
  execution: ExecutionSchema,
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  policy: ReloadPolicySchema,
  /** A let-finish-then-swap waiting for the current run to finish (stored either way). */
  pending: z.boolean(),
  /** Node ids of the new tree that the old one did not have (same id and type = kept). */
  added: z.array(z.string()),
  removed: z.array(z.string()),
  kept: z.array(z.string()),
  /** Breakpoints on removed nodes, dropped with them. */
  droppedBreakpoints: z.array(BreakpointSchema),
});
export type ReloadReply = z.infer<typeof ReloadReplySchema>;
