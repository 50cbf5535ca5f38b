import type { Status } from './model/runtime';

/**
 * Statuses are small integers on the tick path (cheap compares, no string interning) and become
 * strings only at the record boundary.
 */
export const IDLE = 0;
export const RUNNING = 1;
export const SUCCESS = 2;
export const FAILURE = 3;

export type StatusCode = 0 | 1 | 2 | 3;
/** What a node's tick can return: never IDLE. */
export type TickStatus = 1 | 2 | 3;

export const STATUS_NAMES: readonly Status[] = ['IDLE', 'RUNNING', 'SUCCESS', 'FAILURE'];

export function statusCode(name: unknown): StatusCode {
  const i = STATUS_NAMES.indexOf(name as Status);
  return i < 0 ? IDLE : (i as StatusCode);
}
