import { compile, formatError } from '@canopy/dsl';
import { AppError, treeLimitsOf } from '@canopy/service-kit';
import { z } from 'zod';
import type { GatewayConfig } from '../config';

export const CheckTreeRequestSchema = z.object({
  source: z.string().min(1).max(1_000_000),
  /** File name used in error positions; default `tree.lisp`. */
  file: z.string().max(256).optional(),
});

export const CheckTreeReplySchema = z.object({
  ok: z.literal(true),
  /** Every tree the document defines, in source order. */
  trees: z.array(z.string()),
  nodeCount: z.number().int(),
});
export type CheckTreeReply = z.infer<typeof CheckTreeReplySchema>;

/**
 * The tree-language compile step of `POST /trees` (the runners' registry, which compiles with the
 * same `compile`, the same limits and the registered tree names for subtrees), without storing
 * anything: Studio's editor calls it as you type. COMPILE_FAILED has the first error's `line` and
 * `column` and every error in `details.errors`, as registration does.
 */
export function checkSource(
  body: z.infer<typeof CheckTreeRequestSchema>,
  knownTrees: string[],
  config: GatewayConfig,
): CheckTreeReply {
  const file = body.file ?? 'tree.lisp';
  const result = compile(body.source, { file, knownTrees, limits: treeLimitsOf(config) });
  const [first] = result.errors;
  if (first || !result.document) {
    const errors = result.errors.map(({ line, column, message, code }) => ({ line, column, message, code }));
    throw new AppError(
      'COMPILE_FAILED',
      first ? formatError(first) : `${file}: does not compile`,
      { errors },
      first ? { line: first.line, column: first.column } : undefined,
    );
  }
  const trees = result.document.trees;
  const count = (n: { children?: unknown[] }): number =>
    1 + (n.children ?? []).reduce<number>((sum, c) => sum + count(c as { children?: unknown[] }), 0);
  return { ok: true, trees: trees.map((t) => t.name), nodeCount: trees.reduce((n, t) => n + count(t.root), 0) };
}
