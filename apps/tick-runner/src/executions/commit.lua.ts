/**
 * The tick commit, as one Lua script so that the fencing check, the blackboard writes, the
 * checkpoint and the metadata land together or not at all.
 *
 * KEYS: 1 lease(shard), 2 execMeta(id), 3 execCheckpoint(id), 4 execLastRecord(id), then per
 *       written scope s (1-based) KEYS[3+2s] its values hash and KEYS[4+2s] its versions hash.
 * ARGV: 1 runner id, 2 epoch, 3 kind (`tick` | `state`), 4 tick, 5 checkpoint JSON ('' keeps it),
 *       6 tick record message JSON ('' keeps it), 7 n meta pairs, then n field/value pairs, then
 *       n writes, then per write: scope index, key, op (`set` | `del`), value JSON.
 *
 * Replies `{'OK', v1..vn}` (the new version of each write, in order), `{'FENCED', owner, epoch}`
 * when the lease is not ours at our epoch, `{'STALE', storedTick}` when a `tick` commit is not
 * newer than the stored one (a replay), `{'GONE'}` when the execution was deleted.
 *
 * Versions follow the blackboard service's format: values are JSON strings, versions integers
 * bumped with HINCRBY on every write, deletes included (a delete leaves the version, so versions
 * only grow and "newest version wins" holds in every cache).
 */
export const COMMIT_LUA = `
local owner = redis.call('HGET', KEYS[1], 'owner')
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if owner ~= ARGV[1] or epoch ~= ARGV[2] then
  return {'FENCED', owner or '', epoch or ''}
end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'GONE'} end
if ARGV[3] == 'tick' then
  local stored = tonumber(redis.call('HGET', KEYS[2], 'tick') or '0')
  if tonumber(ARGV[4]) <= stored then return {'STALE', tostring(stored)} end
end
local i = 8
local nMeta = tonumber(ARGV[7])
if nMeta > 0 then
  local fields = {}
  for j = 1, nMeta * 2 do fields[j] = ARGV[i + j - 1] end
  redis.call('HSET', KEYS[2], unpack(fields))
  i = i + nMeta * 2
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5]) end
if ARGV[6] ~= '' then redis.call('SET', KEYS[4], ARGV[6]) end
local nWrites = tonumber(ARGV[i])
i = i + 1
local result = {'OK'}
for w = 1, nWrites do
  local s = tonumber(ARGV[i])
  local key = ARGV[i + 1]
  local valuesKey = KEYS[3 + 2 * s]
  local versionsKey = KEYS[4 + 2 * s]
  if ARGV[i + 2] == 'del' then
    redis.call('HDEL', valuesKey, key)
  else
    redis.call('HSET', valuesKey, key, ARGV[i + 3])
  end
  result[w + 1] = redis.call('HINCRBY', versionsKey, key, 1)
  i = i + 4
end
return result
`;

