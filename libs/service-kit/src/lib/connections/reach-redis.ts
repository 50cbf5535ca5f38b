import { AppError } from '../errors/app-error';

/**
 * Error replies that say Redis cannot serve right now (loading, a script running too long, a
 * failover, memory or disk trouble), as opposed to a command this service got wrong.
 */
const OUTAGE_REPLIES = [
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOREPLICAS',
  'OOM',
  'MISCONF',
];

/**
 * Runs Redis calls; an outage becomes AppError DEPENDENCY_UNAVAILABLE ("503, retry later"): a lost
 * or refused connection (the kit's client fails at once while disconnected, so this answers
 * promptly) or an outage reply. Any other error reply (a wrong type, a failing script) is this
 * service's bug and is rethrown as it is.
 *
 * `reachRedis(() => redis.hget(key, field), 'blackboard storage')`
 */
export async function reachRedis<T>(call: () => Promise<T>, what = 'storage'): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isOutage(error)) throw error;
    throw new AppError(
      'DEPENDENCY_UNAVAILABLE',
      `${what} unavailable: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      {},
      { cause: error },
    );
  }
}

function isOutage(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof AppError) return false;
  if (error.name !== 'ReplyError') return true;
  const code = error.message.split(' ', 1)[0];
  return OUTAGE_REPLIES.includes(code);
}
