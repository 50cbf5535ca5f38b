import { AppError, reachRedis } from '@canopy/service-kit';
import { RedisKeys, type CommandEvent } from '@canopy/contracts';
import type { Redis } from 'ioredis';
import type { StoredEvent, LoadedEvents } from './event-queue';

/**
 * Appends an external event to the execution's queue (a Redis stream), only for the shard's
 * lease holder at its epoch (so a runner that lost the shard cannot add to a queue its successor
 * already loaded), only for an execution that exists (a delete cannot leave a queue behind), and
 * only below the bound. The entry id (Redis's clock) orders the queue and gives the event's `at`.
 * KEYS: 1 lease(shard), 2 execMeta(id), 3 execEvents(id).
 * ARGV: 1 runner id, 2 epoch, 3 bound, 4 name, 5 payload JSON.
 * Replies {'OK', id, length} | {'FENCED'} | {'GONE'} | {'FULL', length}.
 */
export const APPEND_EVENT_LUA = `
local owner = redis.call('HGET', KEYS[1], 'owner')
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if owner ~= ARGV[1] or epoch ~= ARGV[2] then return {'FENCED'} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'GONE'} end
local n = redis.call('XLEN', KEYS[3])
if n >= tonumber(ARGV[3]) then return {'FULL', n} end
local id = redis.call('XADD', KEYS[3], '*', 'name', ARGV[4], 'payload', ARGV[5])
return {'OK', id, n + 1}
`;

/**
 * The queue as one reply: the stream's last generated id (entries up to it were added, whether
 * still queued or already taken by a tick), then id, name, payload of each queued entry.
 * KEYS: 1 execEvents(id).
 */
export const LOAD_EVENTS_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'0-0'} end
local last = '0-0'
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
end
local out = {last}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local name, payload = '', 'null'
  local f = e[2]
  for j = 1, #f, 2 do
    if f[j] == 'name' then name = f[j + 1] elseif f[j] == 'payload' then payload = f[j + 1] end
  end
  out[#out + 1] = e[1]
  out[#out + 1] = name
  out[#out + 1] = payload
end
return out
`;

/** The Redis side of external events: append (by the owner) and load (when an execution is loaded). */
export class EventStore {
  constructor(
    private readonly redis: Redis,
    private readonly runnerId: string,
  ) {}

  /**
   * Stores the event at the tail of the queue. Throws FENCED (the shard is not ours: the caller
   * retries with the new owner), EXECUTION_NOT_FOUND, EVENT_QUEUE_FULL, DEPENDENCY_UNAVAILABLE.
   */
  async append(execId: string, shard: number, epoch: number, event: CommandEvent, bound: number): Promise<{ entry: StoredEvent; queued: number }> {
    const payload = JSON.stringify(event.payload ?? null);
    const reply = (await reachRedis(() =>
      this.redis.canopyAppendEvent(RedisKeys.lease(shard), RedisKeys.execMeta(execId), RedisKeys.execEvents(execId), this.runnerId, epoch, bound, event.name, payload),
    )) as unknown[];
    switch (reply[0]) {
      case 'OK': {
        const id = String(reply[1]);
        return { entry: { id, event: { name: event.name, payload: event.payload ?? null, at: idTime(id) } }, queued: Number(reply[2]) };
      }
      case 'FENCED':
        throw new AppError('FENCED', `runner ${this.runnerId} no longer owns shard ${shard}`);
      case 'GONE':
        throw new AppError('EXECUTION_NOT_FOUND', `no execution ${execId}`);
      case 'FULL':
        throw new AppError('EVENT_QUEUE_FULL', `execution ${execId} has ${String(reply[1])} events waiting, its bound (EVENT_QUEUE_MAX ${bound}); retry once its ticks took some`, { queued: Number(reply[1]), max: bound });
      default:
        throw new Error(`unexpected append reply: ${JSON.stringify(reply)}`);
    }
  }

  async load(execId: string): Promise<LoadedEvents> {
    const flat = (await reachRedis(() => this.redis.canopyLoadEvents(RedisKeys.execEvents(execId)))) as string[];
    const entries: StoredEvent[] = [];
    for (let i = 1; i + 2 < flat.length; i += 3) {
      const id = String(flat[i]);
      entries.push({ id, event: { name: String(flat[i + 1]), payload: parsePayload(String(flat[i + 2])), at: idTime(id) } });
    }
    return { lastId: String(flat[0] ?? '0-0'), entries };
  }
}

/** A stream entry id is `<ms>-<seq>`: its time is when Redis stored it. */
function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function parsePayload(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}
