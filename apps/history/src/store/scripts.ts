/**
 * Lua scripts over one execution's history keys (all under the hash tag `{exec:<id>}`). Every
 * script takes the same KEYS, in the order of `historyKeys()` in history.store.ts:
 *
 *  1 records    hash  tick -> TickRecordMessage JSON
 *  2 summaries  hash  tick -> TickSummary JSON
 *  3 deltas     hash  tick -> Delta JSON (only ticks that changed something)
 *  4 ticks      zset  tick scored by tick
 *  5 times      zset  tick scored by startedAt
 *  6 keyframes  hash  tick -> Frame JSON
 *  7 kfTicks    zset  keyframe tick scored by tick
 *  8 keys       hash  [scope,key] -> first tick that wrote it
 *  9 meta       hash  tree, version, fingerprint (of the latest tick), firstTick, lastTick, total,
 *                   createdAt (the incarnation the ticks belong to)
 * 10 progress   string ProgressState JSON
 */

/**
 * Stores one tick unless it is stored already (the idempotence that makes redelivered and
 * republished records harmless). ARGV: tick, startedAt, record, summary, delta ('' none),
 * keyframe ('' none), progress ('' none), tree, version, fingerprint, createdAt ('' unknown), n, then n (tick, keyframe) pairs that
 * replace existing keyframes (backfilled values), then (field, firstTick) pairs of new keys.
 * Replies {0} for a duplicate, else {1, retained count, oldest tick, oldest startedAt}.
 */
export const APPEND_SCRIPT = `
local tick = tonumber(ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {0} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[5]) end
redis.call('ZADD', KEYS[4], tick, ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[6])
  redis.call('ZADD', KEYS[7], tick, ARGV[1])
end
local n = tonumber(ARGV[12])
local i = 13
for _ = 1, n do
  if redis.call('ZSCORE', KEYS[7], ARGV[i]) then redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
while i < #ARGV do
  local first = redis.call('HGET', KEYS[8], ARGV[i])
  if not first or tonumber(first) > tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[8], ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
local last = tonumber(redis.call('HGET', KEYS[9], 'lastTick') or '0')
if tick >= last then
  redis.call('HSET', KEYS[9], 'lastTick', ARGV[1], 'tree', ARGV[8], 'version', ARGV[9], 'fingerprint', ARGV[10])
  if ARGV[11] ~= '' then redis.call('HSET', KEYS[9], 'createdAt', ARGV[11]) end
  if ARGV[7] ~= '' then redis.call('SET', KEYS[10], ARGV[7]) end
end
local first = tonumber(redis.call('HGET', KEYS[9], 'firstTick') or '0')
if first == 0 or tick < first then redis.call('HSET', KEYS[9], 'firstTick', ARGV[1]) end
redis.call('HINCRBY', KEYS[9], 'total', 1)
local oldest = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
return {1, redis.call('ZCARD', KEYS[4]), tonumber(oldest[1]), oldest[2]}
`;

/**
 * Drops every tick before ARGV[1] (the new first tick) and the keyframes before it, after storing
 * ARGV[2] as the new first tick's keyframe if it has none ('' = it has one), so the first
 * retained tick stays rebuildable. Replies {dropped, oldest startedAt or false}.
 */
export const TRIM_SCRIPT = `
local first = tonumber(ARGV[1])
if ARGV[2] ~= '' and not redis.call('ZSCORE', KEYS[7], ARGV[1]) then
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[7], first, ARGV[1])
end
local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. first)
for _, t in ipairs(old) do
  redis.call('HDEL', KEYS[1], t)
  redis.call('HDEL', KEYS[2], t)
  redis.call('HDEL', KEYS[3], t)
  redis.call('ZREM', KEYS[5], t)
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. first)
for _, t in ipairs(redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', '(' .. first)) do
  redis.call('HDEL', KEYS[6], t)
end
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. first)
if #old > 0 then redis.call('HSET', KEYS[9], 'firstTick', ARGV[1]) end
local oldest = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
return {#old, oldest[2] or false}
`;

/**
 * What rebuilding tick ARGV[1] needs, read at one moment: {keyframe tick, keyframe, the record of
 * the tick or false (only when ARGV[2] is '1'), ticks after the keyframe up to it, their deltas}.
 * Replies {} when the tick is not stored.
 */
export const FRAME_SCRIPT = `
if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then return {} end
local t = tonumber(ARGV[1])
local k = redis.call('ZREVRANGEBYSCORE', KEYS[7], t, '-inf', 'LIMIT', 0, 1)[1]
if not k then return {} end
local ticks = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. k, t)
local deltas = {}
for i, tick in ipairs(ticks) do deltas[i] = redis.call('HGET', KEYS[3], tick) end
local record = false
if ARGV[2] == '1' then record = redis.call('HGET', KEYS[1], ARGV[1]) end
return {k, redis.call('HGET', KEYS[6], k), record, ticks, deltas}
`;
