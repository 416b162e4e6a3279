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
//   - It first compares Redis' clock (TIME) with the caller's deadline and
//     does nothing once it has passed: the caller has already given up
//     (answered 503) and will come back with the token it still holds, so a
//     write applied now would only turn that retry into "reuse".
//   - All reads (which type-check the keys and validate every field) come
//     before the first write. Redis does not roll a script back when a
//     command fails half-way, so a script that can fail must fail before it
//     writes.
//   - Only what must be read to grant something (a session, a rotation,
//     a kept successor) is refused when corrupt. A revocation deletes or
//     marks what it needs whatever the other keys hold: a key it only
//     deletes is deleted whatever its type, and a session hash it cannot
//     read is deleted too (no session hash is no session). A broken record
//     can thus never keep a session alive by making its revocation fail.
//   - A revocation starts with DEL or HDEL. At maxmemory under noeviction
//     Redis refuses a script's first write when that write can grow memory
//     (SET, HSET), but not DEL or HDEL, and it never refuses a later write
//     once one has been made: so a revocation never fails for want of
//     memory, while a login or a refresh may (503, which is safe).
//   - Session times are never taken from Redis: the caller passes them, so
//     expiry follows the application's clock (and the tests' fake clock)
//     exactly as in the memory store. TIME serves only the deadline.
//   - Every script is idempotent for a repeat of the same call: go-redis
//     retries a command whose reply was lost (EOF), and a rotation that ran
//     twice must not look like refresh-token reuse.
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
// memory store's time.Time ones. Deadlines are unix milliseconds (about
// 2^41), which doubles hold exactly.
//
// redis.replicate_commands makes Redis 4 replicate the script's effects
// rather than the script, which a script calling TIME needs before it may
// write; from Redis 5 on it is the default (and the call a no-op).
const prelude = `
if redis.replicate_commands then redis.replicate_commands() end
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
-- isnum is Go's parseNum: digits only, no leading zero, at most 19, and no
-- more than 9223372036854775807 (int64). With one spelling per number, a
-- text comparison (idle_ns ~= '0') and a numeric one agree. A 19-digit value is compared in two parts,
-- each exact in a double.
local function isnum(s)
  if type(s) ~= 'string' or #s < 1 or #s > 19 or string.match(s, '^%d+$') == nil
    or (#s > 1 and string.sub(s, 1, 1) == '0') then
    return false
  end
  if #s < 19 then return true end
  local hi, lo = tonumber(string.sub(s, 1, 10)), tonumber(string.sub(s, 11))
  return hi < 9223372036 or (hi == 9223372036 and lo <= 854775807)
end
local function isgen(s)
  return type(s) == 'string' and #s == 22 and string.match(s, '^[%w_%-]+$') ~= nil
end
local function isrun(s)
  return s == '' or (#s == 40 and string.match(s, '^%x+$') ~= nil)
end
local function corrupt(what)
  return redis.error_reply('pasetoauth: corrupt ' .. what .. ' in redis')
end
local function late(deadline)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) >= tonumber(deadline)
end
local FIELDS = {'subject', 'gen', 'run', 'current', 'previous', 'rotated_at',
  'expires_at', 'last_used', 'idle_ns', 'revoked', 'reused_by'}
-- load reads and validates a session hash: false when there is none,
-- nil and an error reply when it is not one this store wrote.
local function load(key)
  local f = redis.call('HMGET', key, unpack(FIELDS))
  local n = 0
  for i = 1, #FIELDS do if f[i] then n = n + 1 end end
  if n == 0 then
    if redis.call('EXISTS', key) == 1 then return nil, corrupt('session') end
    return false
  end
  if n ~= #FIELDS then return nil, corrupt('session') end
  local s = {}
  for i = 1, #FIELDS do s[FIELDS[i]] = f[i] end
  if s.subject == '' or not isgen(s.gen) or not isrun(s.run)
    or not isnum(s.rotated_at) or not isnum(s.expires_at)
    or not isnum(s.last_used) or not isnum(s.idle_ns)
    or (s.revoked ~= '0' and s.revoked ~= '1')
    or (s.revoked == '0' and s.current == '') then
    return nil, corrupt('session')
  end
  return s
end
-- getgen reads a generation: false when there is none, nil and an error
-- reply when it is not one this store wrote (of another type included:
-- pcall, so that the caller decides whether that stops it).
local function getgen(key)
  local g = redis.pcall('GET', key)
  if type(g) == 'table' or (g and not isgen(g)) then return nil, corrupt('generation') end
  return g
end
local function keytype(key)
  local t = redis.call('TYPE', key)
  if type(t) == 'table' then t = t.ok end
  return t
end
local function checkwrapped(key)
  local t = keytype(key)
  if t ~= 'none' and t ~= 'string' then return corrupt('kept successor') end
  return nil
end
`

// Script results shared by Go and Lua.
const (
	resRotated = 1
	resRetried = 2
	resReused  = 3
	resUnknown = -1 // unknown, revoked, of an old generation or server, or another subject's
	resExpired = -2
	resLate    = -3 // the caller's deadline had passed: nothing was written
	resExists  = 0  // CreateSession: the sid is taken by another session
	resOK      = 1
)

// createScript records a new session under its subject's generation,
// drawing the generation when the subject has none.
//
// KEYS[1] session hash, KEYS[2] subject generation.
// ARGV[1] subject, [2] current hash, [3] expires_at ns, [4] created ns,
// [5] idle timeout ns, [6] TTL ms, [7] a fresh random generation,
// [8] server identity digest (empty with LosslessPersistence), [9]
// deadline ms.
var createScript = redis.NewScript(prelude + `
if late(ARGV[9]) then return -3 end
local s, err = load(KEYS[1])
if err then return err end
if s then
  -- A repeat of this very call (lost reply, client retry) is a success;
  -- anything else holding this sid is a real clash.
  if s.subject == ARGV[1] and s.current == ARGV[2] and s.revoked == '0' then return 1 end
  return 0
end
local g, gerr = getgen(KEYS[2])
if gerr then return gerr end
local ttl = tonumber(ARGV[6])
if not g then
  g = ARGV[7]
  redis.call('SET', KEYS[2], g, 'PX', ttl)
elseif redis.call('PTTL', KEYS[2]) < ttl then
  -- The generation outlives every session of its subject: were it to go
  -- first, they would all end (safe, but wrong).
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('HSET', KEYS[1], 'subject', ARGV[1], 'gen', g, 'run', ARGV[8],
  'current', ARGV[2], 'previous', '', 'rotated_at', '0', 'expires_at', ARGV[3],
  'last_used', ARGV[4], 'idle_ns', ARGV[5], 'revoked', '0', 'reused_by', '')
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`)

// rotateScript is paseto.Rotation, step for step as MemoryStore.Rotate,
// plus the server check (run) the memory store has no need of.
//
// KEYS[1] session hash, KEYS[2] subject generation, KEYS[3] kept successor.
// ARGV[1] subject, [2] presented hash, [3] successor hash, [4] wrapped
// successor (empty when grace is 0), [5] now ns, [6] grace floor ns (now -
// grace; empty when grace is 0), [7] grace ms (the kept successor's PX),
// [8] tombstone ms, [9] server identity digest (empty with
// LosslessPersistence: not checked), [10] deadline ms.
//
// Returns {code} or, for Retried, {code, wrapped successor}.
var rotateScript = redis.NewScript(prelude + `
if late(ARGV[10]) then return {-3} end
local s, err = load(KEYS[1])
if err then return err end
if not s or s.subject ~= ARGV[1] then return {-1} end
if s.revoked == '1' then
  -- A repeat of the call that detected reuse answers the same, so the
  -- security event is not lost with a lost reply. ARGV[3] is a fresh hash
  -- per call: no other request can match it.
  if s.reused_by ~= '' and s.reused_by == ARGV[3] then return {3} end
  return {-1}
end
-- Written by another Redis server (a restart, a restored snapshot, a
-- failover) or of another generation (the subject was logged out
-- everywhere, or its generation was lost): not a session this server can
-- vouch for. A generation that cannot be read (gerr) stops every grant
-- below, but not the revocation for reuse, which does not need it.
if ARGV[9] ~= '' and s.run ~= ARGV[9] then return {-1} end
local g, gerr = getgen(KEYS[2])
if not gerr and (not g or g ~= s.gen) then return {-1} end
local now = ARGV[5]
if not before(now, s.expires_at) then return {-2} end
if s.idle_ns ~= '0' then
  -- idle: now - last_used > idle, computed as last_used + idle < now
  local h1, l1 = split(s.last_used)
  local h2, l2 = split(s.idle_ns)
  local h, l = h1 + h2, l1 + l2
  if l >= 1000000000 then h, l = h + 1, l - 1000000000 end
  local nh, nl = split(now)
  if h < nh or (h == nh and l < nl) then return {-2} end
end
local rotation = ARGV[2] == s.current
local repeated = not rotation and s.previous ~= '' and ARGV[2] == s.previous and ARGV[3] == s.current
local retry = not rotation and not repeated and ARGV[6] ~= '' and s.previous ~= ''
  and ARGV[2] == s.previous and not before(s.rotated_at, ARGV[6])
if rotation or repeated or retry then
  -- A grant: everything it relies on must be sound.
  if gerr then return gerr end
  local werr = checkwrapped(KEYS[3])
  if werr then return werr end
end
if rotation then
  redis.call('HSET', KEYS[1], 'current', ARGV[3], 'previous', s.current,
    'rotated_at', now, 'last_used', now)
  if ARGV[4] ~= '' then
    redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[7])
  else
    redis.call('DEL', KEYS[3]) -- an older successor must not answer for this one
  end
  return {1}
end
if repeated then
  return {1} -- this very rotation, already applied: a retried command
end
if retry then
  local w = redis.call('GET', KEYS[3])
  if w then return {2, w} end
  -- The kept successor is gone (evicted) although the window is open:
  -- nothing to hand out, and a retry is no theft. Deny, change nothing.
  return {-1}
end
-- Reuse. HDEL first: see the rule on memory above. The kept successor is
-- deleted whatever it holds.
redis.call('HDEL', KEYS[1], 'current', 'previous')
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[1], 'current', '', 'previous', '', 'revoked', '1', 'reused_by', ARGV[3])
-- Kept only so that a repeat of this call answers Reused again.
local tomb = tonumber(ARGV[8])
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 or pttl > tomb then redis.call('PEXPIRE', KEYS[1], tomb) end
return {3}
`)

// revokeSessionScript ends one session: its hash and kept successor are
// deleted. A session already revoked for reuse keeps its short tombstone.
// Neither key needs to be intact: the kept successor is deleted whatever
// its type, and so is a session hash this store could not have written
// (without it the session is dead). Only a readable session of another
// subject (a hash-tag collision) is left alone.
//
// KEYS[1] session hash, KEYS[2] kept successor.
// ARGV[1] subject, [2] deadline ms.
var revokeSessionScript = redis.NewScript(prelude + `
if late(ARGV[2]) then return -3 end
if keytype(KEYS[1]) == 'hash' then
  local s = load(KEYS[1]) -- nil when corrupt: deleted below
  if s and s.subject ~= ARGV[1] then return -1 end
  if s and s.revoked == '1' then
    redis.call('DEL', KEYS[2])
    return 1
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`)

// revokeSubjectScript ends every session of a subject by deleting its
// generation, whatever the key holds: no session carries the one the next
// login draws.
//
// KEYS[1] subject generation. ARGV[1] deadline ms.
var revokeSubjectScript = redis.NewScript(prelude + `
if late(ARGV[1]) then return -3 end
redis.call('DEL', KEYS[1])
return 1
`)
