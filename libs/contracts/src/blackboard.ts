import { z } from 'zod';
import { BlackboardKeySchema, ScopeSchema } from './common';

export const BlackboardEntrySchema = z.object({
  key: z.string(),
  scope: z.string(),
  value: z.unknown(),
  version: z.number().int(),
});
export type BlackboardEntry = z.infer<typeof BlackboardEntrySchema>;

/** REST body of `PUT /blackboard/:scope/keys/*key`; with `version` it is a compare-and-set. */
export const PutKeyBodySchema = z.object({
  value: z.unknown().refine((v) => v !== undefined, 'value is required'),
  version: z.number().int().min(0).optional(),
});

export const BbGetRequestSchema = z.object({ scope: ScopeSchema, key: BlackboardKeySchema });
export const BbPutRequestSchema = z.object({
  scope: ScopeSchema,
  key: BlackboardKeySchema,
  value: z.unknown(),
  /** Compare-and-set: 0 means "must not exist yet". */
  expectedVersion: z.number().int().min(0).optional(),
});
export const BbDeleteRequestSchema = z.object({
  scope: ScopeSchema,
  key: BlackboardKeySchema,
  expectedVersion: z.number().int().min(1).optional(),
});
/**
 * One page of a scope's keys in key order, starting after `after`. A scope may hold more than one
 * NATS message can carry (each value alone fits): the service answers in pages of at most about
 * BB_LIST_PAGE_BYTES (at least one entry), and the reader asks again from `next` until it is absent.
 */
export const BbListRequestSchema = z.object({
  scope: ScopeSchema,
  prefix: z.string().max(512).optional(),
  after: z.string().min(1).max(512).optional(),
});
export interface BbListPage {
  entries: BlackboardEntry[];
  /** More keys follow: ask again with `after: next`. */
  next?: string;
}
/** The budget of one list page's keys and values (bytes of JSON): half of NATS's default max_payload. */
export const BB_LIST_PAGE_BYTES = 512 * 1024;
export type BbGetRequest = z.infer<typeof BbGetRequestSchema>;
export type BbPutRequest = z.infer<typeof BbPutRequestSchema>;
export type BbDeleteRequest = z.infer<typeof BbDeleteRequestSchema>;
export type BbListRequest = z.infer<typeof BbListRequestSchema>;

/** Validates what arrives on `canopy.bb.<scope>.changed` (the shape of `BlackboardChanged`). */
export const BlackboardChangedSchema = z.object({
  scope: ScopeSchema,
  key: z.string().min(1),
  value: z.unknown().optional(),
  version: z.number().int().min(1),
  deleted: z.boolean().optional(),
  source: z.string(),
  at: z.string(),
});

/** Published on `canopy.bb.<scope>.changed` for every change made outside a tick. */
export interface BlackboardChanged {
  scope: string;
  key: string;
  /** Absent when deleted. */
  value?: unknown;
  version: number;
  deleted?: boolean;
  /** `rest`, or `exec:<id>` when another execution wrote a shared scope. */
  source: string;
  at: string;
}
