/**
 * Lease scripts. A lease is a hash `{owner, epoch}` with a TTL; the epoch comes from a separate
 * counter that never expires, so every new holder gets a strictly greater fencing token than any
 * holder before it, even after the lease key itself expired.
 */

/** KEYS: lease, leaseEpoch. ARGV: owner, ttlMs. Replies `{1, epoch}` (held by us) or `{0, owner}`. */
export const ACQUIRE_LUA = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return {0, owner} end
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(redis.call('HGET', KEYS[1], 'epoch'))}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, epoch}
`;

/** KEYS: lease. ARGV: owner, epoch, ttlMs. Replies 1 when renewed, 0 when the lease is not ours. */
export const RENEW_LUA = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
`;

/** KEYS: lease. ARGV: owner, epoch. Deletes the lease only if it is still ours. */
export const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Membership on Redis' clock (so runners with skewed clocks agree on who is alive).
 * KEYS: runners. ARGV: runner id, ttlMs (0 = leave). Replies `{member, msLeft, member, msLeft...}`
 * for the live members: how long each has before it expires, so peers can look again right then.
 */
export const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if tonumber(ARGV[2]) > 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
for i = 2, #live, 2 do live[i] = tostring(tonumber(live[i]) - now) end
return live
`;
