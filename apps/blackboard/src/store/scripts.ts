/**
 * Lua scripts for the blackboard hashes. Each scope is two hashes (RedisKeys.scopeValues: key ->
 * JSON text, RedisKeys.scopeVersions: key -> integer), the same format the tick runner commits.
 *
 * A key exists when it has a value. Its version only ever grows: a delete removes the value but
 * bumps and keeps the version (a tombstone), so a re-created key continues from there and
 * subscribers that apply changes "when newer" never see a version go backwards.
 * "Version 0" is what a caller sees for a key that does not exist.
 */

/** KEYS: values, versions. ARGV: key, json, expected ('' = unconditional). Returns {ok, version}. */
export const PUT_SCRIPT = `
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
local live = 0
if exists then live = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= live then
  return {0, live}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, redis.call('HINCRBY', KEYS[2], ARGV[1], 1)}
`;

/**
 * KEYS: values, versions. ARGV: key, expected ('' = unconditional).
 * Returns {1, tombstoneVersion} when deleted, {0, live} on a version mismatch, {-1, 0} when absent.
 */
export const DELETE_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return {-1, 0}
end
local live = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= live then
  return {0, live}
end
redis.call('HDEL', KEYS[1], ARGV[1])
return {1, redis.call('HINCRBY', KEYS[2], ARGV[1], 1)}
`;

/**
 * KEYS: values, versions. ARGV: prefix, after ('' = from the start), page budget in bytes.
 * Returns {more, key, json, version, ...}: the keys after `after` in order, as many as fit in the
 * budget (always at least one), `more` = 1 when keys were left for a next page. One script per
 * page, so each entry's value and version come from the same moment (a reader may CAS with the
 * version it listed). Prefix matching is a plain string compare: no glob escaping needed.
 */
export const LIST_SCRIPT = `
local prefix = ARGV[1]
local after = ARGV[2]
local budget = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local keys = {}
local values = {}
for i = 1, #all, 2 do
  local k = all[i]
  if (prefix == '' or string.sub(k, 1, #prefix) == prefix) and (after == '' or k > after) then
    keys[#keys + 1] = k
    values[k] = all[i + 1]
  end
end
table.sort(keys)
local out = {0}
local used = 0
for _, k in ipairs(keys) do
  local size = #k + #values[k] + 64
  if used > 0 and used + size > budget then
    out[1] = 1
    break
  end
  used = used + size
  out[#out + 1] = k
  out[#out + 1] = values[k]
  out[#out + 1] = redis.call('HGET', KEYS[2], k) or '0'
end
return out
`;
