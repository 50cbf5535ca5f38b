import { z } from 'zod';
import { IdSchema } from './common';

export const RegisterTreeRequestSchema = z
  .object({
    source: z.string().min(1).max(1_000_000).optional(),
    definition: z.record(z.string(), z.unknown()).optional(),
    /** File name used in error positions; default `<name>.lisp` (`.xml`, `.mdsl` by format). */
    file: z.string().max(256).optional(),
    /**
     * The language of `source`: Canopy's (default), BehaviorTree.CPP XML (`btcpp`, without
     * includes) or mistreevous MDSL (`mdsl`), converted as `canopy import` does.
     */
    format: z.enum(['canopy', 'btcpp', 'mdsl']).optional(),
  })
  .refine((b) => (b.source === undefined) !== (b.definition === undefined), {
    message: 'exactly one of source or definition is required',
    path: ['source'],
  })
  .refine((b) => b.format === undefined || b.format === 'canopy' || b.source !== undefined, {
    message: 'a format other than canopy needs source',
    path: ['format'],
  });
export type RegisterTreeRequest = z.infer<typeof RegisterTreeRequestSchema>;

export const TreeSummarySchema = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  nodeCount: z.number().int(),
  createdAt: z.string(),
  /** Every tree the document defines (the main one first). */
  trees: z.array(z.string()),
  /** Differences an import from another format carried over (`file:line:column: note`). */
  notes: z.array(z.string()).optional(),
});
export type TreeSummary = z.infer<typeof TreeSummarySchema>;

export const TreeRecordSchema = TreeSummarySchema.extend({
  /** Canonical text of the document. */
  source: z.string(),
  definition: z.record(z.string(), z.unknown()),
});
export type TreeRecord = z.infer<typeof TreeRecordSchema>;

export const TreeRefSchema = z.object({ name: IdSchema, version: z.number().int().positive().optional() });
export type TreeRef = z.infer<typeof TreeRefSchema>;
