import { z } from 'zod';

/**
 * Hot reload (DESIGN.md "Hot reload", docs/reload.md): how a running execution moves to another
 * tree. No import of executions.ts here (it imports this file for the `reload` command).
 */
export const ReloadPolicySchema = z.enum([
  'let-finish-then-swap',
  'cancel-and-restart',
  'swap-now',
]);
export type ReloadPolicy = z.infer<typeof ReloadPolicySchema>;

/** `PUT /executions/:id/tree` and the `reload` owner command: exactly one of source, definition, version. */
export const ReloadTreeRequestSchema = z
  .object({
    /** Tree-language text, registered as a new version of the execution's tree. */
    source: z.string().min(1).max(1_000_000).optional(),
    /** Names the source in error positions (`file:line:column`); default `<tree>.lisp`. */
    file: z.string().max(256).optional(),
    /** A canonical JSON tree document, registered as a new version of the execution's tree. */
    definition: z.record(z.string(), z.unknown()).optional(),
    /** A registered version of the execution's tree. */
    version: z.number().int().positive().optional(),
    policy: ReloadPolicySchema.default('let-finish-then-swap'),
    /** false clears the execution scope when the new tree takes over; global and team are never touched. */
    preserveBlackboard: z.boolean().default(true),
  })
  .refine((b) => [b.source, b.definition, b.version].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of source, definition or version is required',
    path: ['source'],
  })
  .refine((b) => b.file === undefined || b.source !== undefined || b.definition !== undefined, {
    message: 'file names a source or definition',
    path: ['file'],
  });
export type ReloadTreeRequest = z.infer<typeof ReloadTreeRequestSchema>;

/**
 * Announced on `Subjects.treesRegistered` after each registration: runners move their `follow`
 * executions of that tree to the new version.
 */
export const TreeRegisteredSchema = z.object({
  name: z.string(),
  version: z.number().int().positive(),
});
export type TreeRegistered = z.infer<typeof TreeRegisteredSchema>;
