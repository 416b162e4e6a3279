package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts below are the whole of the store's write logic. Each one
// runs atomically on the server, so two application instances refreshing
// the same session are serialised by Redis itself, with no lock to leak.
//
// Rules every script follows, and why:
//
//   - Every key it touches is in KEYS, and all of them carry the subject's
//     hash tag: Redis Cluster routes the script by its keys and refuses keys
//     from several slots.
//   - All reads (which type-check the keys and validate what was stored)
//     come before the first write. Redis does not roll a script back when a
//     command fails half-way, so a script that can fail must fail before it
//     writes; and for OOM, Redis refuses only a script's first write, never a
//     later one, so once writing has started the script completes.
//   - Times are never taken from Redis (TIME): the caller passes them, so the
//     store follows the application's clock (and the tests' fake clock)
//     exactly as the memory store does.
//   - Every script is idempotent for a repeat of the same call: go-redis
//     retries a command whose reply was lost (EOF, read timeout), and a
//     rotation that ran twice must not look like refresh-token reuse.
//   - Token hashes are compared with plain string equality. They are
//     SHA-256 hashes of random token IDs, computed by the application, so an
//     early-exit comparison reveals nothing a caller could steer; and a
//     constant-time comparison is not available in Lua anyway.

// prelude holds the helpers every script shares.
//
// Instants are unix nanoseconds and durations nanoseconds, both passed and
// stored as decimal strings. Lua numbers are doubles, exact only below 2^53,
// and unix nanoseconds are near 2^61, so a value is never converted whole:
// it is split into seconds and nanoseconds (both exact) and compared or
// added part by part. That keeps nanosecond comparisons identical to the
// memory store's time.Time ones.
const prelude = `
local function split(s)
  local n = #s
  if n <= 9 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 9)), tonumber(string.sub(s, n - 8))
end
local function before(a, b)
  local ah, al = split(a)
  local bh, bl = split(b)
  return ah < bh or (ah == bh and al < bl)
end
local function isnum(s)
  return type(s) == 'string' and #s >= 1 and #s <= 19 and string.match(s, '^%d+$') ~= nil
end
local function corrupt(what)
  return redis.error_reply('pasetoauth: corrupt ' .. what .. ' in redis')
end
`

// Script results shared by Go and Lua.
const (
	resRotated    = 1
	resRetried    = 2
	resReused     = 3
	resUnknown    = -1 // unknown, revoked, or another subject's session
	resExpired    = -2
	resExists     = 0 // CreateSession: the sid is taken by another session
	resIncomplete = 0 // RevokeSubject: the index holds sessions not listed
	resOK         = 1
)

// createScript records a new session and indexes it under its subject.
//
// KEYS[1] session hash, KEYS[2] subject index (sorted set of sids scored by
// their absolute end in unix milliseconds).
// ARGV[1] subject, [2] current hash, [3] expires_at ns, [4] created ns,
// [5] idle timeout ns, [6] TTL ms, [7] sid, [8] score, [9] prune bound ms.
//
// The index is a sorted set rather than a plain set so that sessions past
// their absolute end can be pruned by score, inside the declared key; a plain
// set would need the member sessions' keys, which are not declared, and
// would grow by one sid per login for as long as the subject keeps logging
// in. Pruning follows the memory store's sweep: a session is dropped once
// the store clock reaches its end.
var createScript = redis.NewScript(prelude + `
local f = redis.call('HMGET', KEYS[1], 'subject', 'current')
if f[1] then
  -- A repeat of this very call (lost reply, client retry) is a success;
  -- anything else holding this sid is a real clash.
  if f[1] == ARGV[1] and f[2] == ARGV[2] then return 1 end
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 then return corrupt('session') end
redis.call('ZCARD', KEYS[2]) -- type check before the first write
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'current', ARGV[2],
  'previous', '', 'rotated_at', '0', 'wrapped', '', 'expires_at', ARGV[3],
  'last_used', ARGV[4], 'idle_ns', ARGV[5], 'revoked', '0', 'reused_by', '')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[9])
redis.call('ZADD', KEYS[2], ARGV[8], ARGV[7])
-- The index lives as long as its longest session. PTTL is read after ZADD:
-- pruning may have deleted the key and ZADD recreated it without a TTL (-1).
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[6]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return 1
`)

// rotateScript is paseto.Rotation, step for step as MemoryStore.Rotate.
//
// KEYS[1] session hash, KEYS[2] the session's sid deny key.
// ARGV[1] subject, [2] presented hash, [3] successor hash, [4] wrapped
// successor, [5] now ns, [6] grace floor ns (now - grace; empty when grace is
// 0), [7] deny-until ns, [8] deny TTL ms (<= 0: the deny entry would already
// be over, so none is written).
//
// Returns {code} or, for Retried, {code, wrapped successor}.
var rotateScript = redis.NewScript(prelude + `
local f = redis.call('HMGET', KEYS[1], 'subject', 'current', 'previous',
  'rotated_at', 'expires_at', 'last_used', 'idle_ns', 'revoked', 'reused_by')
if not f[1] or f[1] ~= ARGV[1] then return {-1} end
for i = 2, 9 do
  if not f[i] then return corrupt('session') end
end
for i = 4, 7 do
  if not isnum(f[i]) then return corrupt('session') end
end
if f[8] ~= '0' then
  -- A repeat of the call that detected reuse answers the same, so the
  -- security event is not lost with a lost reply. ARGV[3] is a fresh hash
  -- per call: no other request can match it.
  if f[9] ~= '' and f[9] == ARGV[3] then return {3} end
  return {-1}
end
local now = ARGV[5]
if not before(now, f[5]) then return {-2} end
if f[7] ~= '0' then
  -- idle: now - last_used > idle, computed as last_used + idle < now
  local h1, l1 = split(f[6])
  local h2, l2 = split(f[7])
  local h, l = h1 + h2, l1 + l2
  if l >= 1000000000 then h, l = h + 1, l - 1000000000 end
  local nh, nl = split(now)
  if h < nh or (h == nh and l < nl) then return {-2} end
end
if ARGV[2] == f[2] then
  redis.call('HSET', KEYS[1], 'current', ARGV[3], 'previous', f[2],
    'rotated_at', now, 'last_used', now, 'wrapped', ARGV[4])
  return {1}
end
if ARGV[2] == f[3] and ARGV[3] == f[2] then
  return {1} -- this very rotation, already applied: a retried command
end
if ARGV[6] ~= '' and f[3] ~= '' and ARGV[2] == f[3] and not before(f[4], ARGV[6]) then
  return {2, redis.call('HGET', KEYS[1], 'wrapped')}
end
-- Reuse. Read and check the deny entry before writing anything.
local ttl = tonumber(ARGV[8])
local cur = false
if ttl > 0 then
  cur = redis.call('GET', KEYS[2])
  if cur and not isnum(cur) then return corrupt('deny entry') end
end
redis.call('HSET', KEYS[1], 'revoked', '1', 'wrapped', '', 'reused_by', ARGV[3])
if ttl > 0 and (not cur or before(cur, ARGV[7])) then
  redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8])
end
return {3}
`)

// revokeSessionScript revokes one session and denies its sid.
//
// KEYS[1] session hash, KEYS[2] sid deny key.
// ARGV[1] subject, [2] deny-until ns, [3] deny TTL ms.
//
// Deny entries only ever move later, as in the memory store: a second,
// shorter revocation must not cut short the first.
var revokeSessionScript = redis.NewScript(prelude + `
local subj = redis.call('HGET', KEYS[1], 'subject')
if subj and subj ~= ARGV[1] then return -1 end
local ttl = tonumber(ARGV[3])
local cur = false
if ttl > 0 then
  cur = redis.call('GET', KEYS[2])
  if cur and not isnum(cur) then return corrupt('deny entry') end
end
if subj then redis.call('HSET', KEYS[1], 'revoked', '1', 'wrapped', '') end
if ttl > 0 and (not cur or before(cur, ARGV[2])) then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
end
return 1
`)

// revokeSubjectScript revokes every session in the subject's index.
//
// KEYS[1] subject index; then, for the i-th listed sid, KEYS[2i] its
// session hash and KEYS[2i+1] its deny key.
// ARGV[1] subject, [2] deny-until ns, [3] deny TTL ms, [4] prune bound ms,
// ARGV[5...] the sids the caller read from the index.
//
// The caller lists the sids because a script may only touch declared keys.
// Every listed session is revoked; if the index also holds a sid the caller
// did not list (a login since it read the index), the script returns 0 and
// the caller reads the index again and repeats. Each round thus makes
// progress, so a stream of logins can delay "log out everywhere" but never
// undo what it has already done. Listed sessions whose hash has expired are
// still denied by sid, which is cheap and errs on the side of denying.
var revokeSubjectScript = redis.NewScript(prelude + `
local n = #ARGV - 4
if n < 1 or #KEYS ~= 1 + 2 * n then
  return redis.error_reply('pasetoauth: revoke subject: bad arguments')
end
local listed = {}
for i = 1, n do listed[ARGV[4 + i]] = true end
local complete = 1
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not listed[sid] then complete = 0 end
end
local ttl = tonumber(ARGV[3])
local subj, cur = {}, {}
for i = 1, n do
  subj[i] = redis.call('HGET', KEYS[2 * i], 'subject')
  cur[i] = false
  if ttl > 0 then
    cur[i] = redis.call('GET', KEYS[2 * i + 1])
    if cur[i] and not isnum(cur[i]) then return corrupt('deny entry') end
  end
end
for i = 1, n do
  local s = subj[i]
  if s == ARGV[1] then
    redis.call('HSET', KEYS[2 * i], 'revoked', '1', 'wrapped', '')
  end
  -- s ~= subject only on a 96-bit tag collision: another subject's session.
  if ttl > 0 and (not s or s == ARGV[1]) and (not cur[i] or before(cur[i], ARGV[2])) then
    redis.call('SET', KEYS[2 * i + 1], ARGV[2], 'PX', ARGV[3])
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
return complete
`)

// denyScript denies one token by jti.
//
// KEYS[1] jti deny key. ARGV[1] until ns, [2] TTL ms (> 0).
var denyScript = redis.NewScript(prelude + `
local cur = redis.call('GET', KEYS[1])
if cur and not isnum(cur) then return corrupt('deny entry') end
if not cur or before(cur, ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
`)
