/**
 * The commit of a tick or of a command's state change, as one Lua script: the fencing check, the
 * semaphore checks, the blackboard writes, the checkpoint, the metadata and the outbox land
 * together or not at all.
 *
 * KEYS: 1 lease(shard), 2 execMeta(id), 3 execCheckpoint(id), 4 execOutbox(id), 5 execDebug(id),
 *       then per written scope s (1-based) KEYS[4+2s] its values hash and KEYS[5+2s] its versions hash,
 *       and last execEvents(id).
 * ARGV: 1 runner id, 2 epoch, 3 kind (`tick` | `state`), 4 tick, 5 checkpoint JSON ('' keeps it;
 *       `#<n>`: the record's text from its byte n (1-based) to its last byte but one, where a
 *       record message carries its checkpoint, so the checkpoint is not sent twice),
 *       6 tick record message JSON ('' none), 7 outbox trim: drop entries up to this tick ('' none),
 *       8 n meta pairs, then the pairs, then the debugger's state ('' keeps it, '-' removes it),
 *       then n writes, then per write: scope index, key, op, value, operand, then n taken events
 *       and their stream ids (the external events the tick took: deleted from the queue with the
 *       commit, so a tick that is not committed leaves them to the next one). Ops:
 *       - `set` value / `del`: a plain write (last writer wins, as on the blackboard);
 *       - `cas` value expected: a semaphore acquisition, applied only if the stored holders equal
 *         `expected` ('' = the key must not exist); checked for every write before any is applied;
 *       - `drop` '' holders: a semaphore release, removes the holders listed in the operand (a JSON
 *         array) from whatever is stored, so it can never conflict.
 *
 * Replies `{'OK', v1..vn, d1..dm}`: the new version of each write in order, then the JSON stored
 * by each `drop` in order (it may differ from what the runner computed); `{'FENCED', owner,
 * epoch}` when the lease is not ours at our epoch; `{'GONE'}` when the execution was deleted;
 * `{'STALE', storedTick}` when a `tick` commit is not newer than the stored one (a replay);
 * `{'CONFLICT', key}` when a semaphore changed under us (another runner took a slot).
 *
 * Values are JSON strings and versions integers bumped with HINCRBY on every write, deletes
 * included (a delete leaves the version, so versions only grow and "newest version wins" holds
 * in every cache), as the blackboard service writes them.
 */
/** The body shared by both scripts: `commit(KEYS, ARGV)` for one commit laid out as above. */
const COMMIT_FUNCTION = `
local function holders(json)
  if not json then return {} end
  local ok, list = pcall(cjson.decode, json)
  if ok and type(list) == 'table' then return list end
  return {}
end

-- Holders compared as lists: the JSON text may differ (another writer's escaping), the list not.
local function same(stored, expected)
  if expected == '' then return not stored end
  if not stored then return false end
  if stored == expected then return true end
  local a, b = holders(stored), holders(expected)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- The commit of one tick or command; KEYS and ARGV are its own (a batch passes slices).
local function commit(KEYS, ARGV)
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

  local nMeta = tonumber(ARGV[8])
  local debug = ARGV[9 + nMeta * 2]
  local first = 11 + nMeta * 2
  local nWrites = tonumber(ARGV[first - 1])
  for w = 0, nWrites - 1 do
    local i = first + w * 5
    if ARGV[i + 2] == 'cas' then
      local s = tonumber(ARGV[i])
      if not same(redis.call('HGET', KEYS[4 + 2 * s], ARGV[i + 1]), ARGV[i + 4]) then
        return {'CONFLICT', ARGV[i + 1]}
      end
    end
  end

  if nMeta > 0 then
    local fields = {}
    for j = 1, nMeta * 2 do fields[j] = ARGV[8 + j] end
    redis.call('HSET', KEYS[2], unpack(fields))
  end
  local checkpoint = ARGV[5]
  if string.byte(checkpoint, 1) == 35 then checkpoint = string.sub(ARGV[6], tonumber(string.sub(checkpoint, 2)), -2) end
  if checkpoint ~= '' then redis.call('SET', KEYS[3], checkpoint) end
  if debug == '-' then redis.call('DEL', KEYS[5]) elseif debug ~= '' then redis.call('SET', KEYS[5], debug) end
  if ARGV[7] ~= '' then redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[7]) end
  if ARGV[6] ~= '' then
    redis.call('ZREMRANGEBYSCORE', KEYS[4], ARGV[4], ARGV[4])
    redis.call('ZADD', KEYS[4], ARGV[4], ARGV[6])
  end

  local versions = {'OK'}
  local dropped = {}
  for w = 0, nWrites - 1 do
    local i = first + w * 5
    local s = tonumber(ARGV[i])
    local key = ARGV[i + 1]
    local op = ARGV[i + 2]
    local valuesKey = KEYS[4 + 2 * s]
    if op == 'del' then
      redis.call('HDEL', valuesKey, key)
    elseif op == 'drop' then
      local gone = {}
      for _, h in ipairs(holders(ARGV[i + 4])) do gone[h] = true end
      local kept = {}
      for _, h in ipairs(holders(redis.call('HGET', valuesKey, key))) do
        if not gone[h] then kept[#kept + 1] = cjson.encode(h) end
      end
      local json = '[' .. table.concat(kept, ',') .. ']'
      redis.call('HSET', valuesKey, key, json)
      dropped[#dropped + 1] = json
    else
      redis.call('HSET', valuesKey, key, ARGV[i + 3])
    end
    versions[#versions + 1] = redis.call('HINCRBY', KEYS[5 + 2 * s], key, 1)
  end
  for _, json in ipairs(dropped) do versions[#versions + 1] = json end
  local taken = first + nWrites * 5
  local nTaken = tonumber(ARGV[taken] or '0')
  if nTaken > 0 then
    redis.call('XDEL', KEYS[#KEYS], unpack(ARGV, taken + 1, taken + nTaken))
  end
  return versions
end
`;

export const COMMIT_LUA = `${COMMIT_FUNCTION}
return commit(KEYS, ARGV)
`;

/**
 * A slot's chunk of tick commits in one call, so Redis and the client pay one script call per
 * chunk instead of one per tick. Each commit is checked and applied on its own, exactly as
 * COMMIT_LUA would (a fenced or stale one does not stop the others), in order.
 *
 * KEYS: every commit's keys, one after the other. ARGV: 1 n, then per commit its key and
 * argument counts (2 + 2i, 3 + 2i), then every commit's arguments, one after the other.
 * Replies one COMMIT_LUA reply per commit, in order.
 *
 * It touches keys of many executions, which a single Redis (the one the stack uses) allows; a
 * Redis Cluster would need the executions of a chunk to share a hash slot.
 */
export const COMMIT_BATCH_LUA = `${COMMIT_FUNCTION}
local n = tonumber(ARGV[1])
local replies = {}
local ko, ao = 0, 1 + 2 * n
for t = 1, n do
  local nk, na = tonumber(ARGV[2 * t]), tonumber(ARGV[2 * t + 1])
  replies[t] = commit({unpack(KEYS, ko + 1, ko + nk)}, {unpack(ARGV, ao + 1, ao + na)})
  ko, ao = ko + nk, ao + na
end
return replies
`;
