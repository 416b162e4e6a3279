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
//     from several slots. A script that works on a subject's sessions as a
//     whole (a login under a session cap, "sign out the other sessions")
//     cannot read their names and then touch keys it was not given, so it
//     runs in two phases: Go reads the index (ZRANGE) and passes every
//     member with its keys; the script first checks that the index still
//     holds exactly those members, and otherwise writes nothing and answers
//     resStale with the members it holds now, for Go to try again with.
//   - It first compares Redis' clock (TIME) with the caller's deadline and
//     does nothing once it has passed: the caller has already given up
//     (answered 503) and will come back with the token it still holds, so a
//     write applied now would only turn that retry into "reuse".
//   - All reads (which type-check the keys and validate every field) come
//     before the first write. Redis does not roll a script back when a
//     command fails half-way, so a script that can fail must fail before it
//     writes.
//   - A session is live only while its sid is a member of its subject's
//     index. Where membership decides the answer, a script reads it before
//     the session hash: a session that is not a member is not live, and its
//     hash is not validated (a hash written by an earlier version of the
//     store, which lacks fields, reads as "not live", never as corrupt).
//   - Only what must be read to grant something (a session, a rotation,
//     a kept successor, the index a login adds to) is refused when
//     corrupt. A revocation deletes or marks what it needs whatever the
//     other keys hold: a key it only deletes is deleted whatever its type,
//     a session hash it cannot read is deleted too (no session hash is no
//     session), and a member is removed from an index of the wrong type
//     with pcall, whose failure stops nothing. A broken record can thus
//     never keep a session alive by making its revocation fail.
//   - A revocation starts with DEL, HDEL or ZREM. At maxmemory under
//     noeviction Redis refuses a script's first write when that write can
//     grow memory (SET, HSET, ZADD), but not a deletion, and it never
//     refuses a later write once one has been made: so a revocation never
//     fails for want of memory. For the same reason a login writes its
//     session hash (HSET) first, before it prunes or ends anything: a full
//     Redis then refuses the login (503, which is safe) with nothing
//     written, instead of letting it through behind a deletion.
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
// memory store's time.Time ones. Deadlines and index scores are unix
// milliseconds (about 2^41), which doubles hold exactly.
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
-- bytesless orders strings byte by byte, as Go does (Lua's < follows the
-- server's locale).
local function bytesless(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
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
-- FIELDS are the session hash's fields as stored (one character each, to
-- keep the hash small), NAMES what the scripts call them.
local FIELDS = {'u', 'r', 'c', 'p', 't', 'e', 'l', 'i', 'x', 'b', 'a',
  '0', '1', '2', '3', 'n', 'm'}
local NAMES = {'subject', 'run', 'current', 'previous', 'rotated_at',
  'expires_at', 'last_used', 'idle_ns', 'revoked', 'reused_by',
  'created_at', 'ua', 'ua1', 'ua2', 'ua3', 'ip', 'label'}
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
  for i = 1, #FIELDS do s[NAMES[i]] = f[i] end
  if s.subject == '' or not isrun(s.run)
    or not isnum(s.rotated_at) or not isnum(s.expires_at)
    or not isnum(s.last_used) or not isnum(s.idle_ns) or not isnum(s.created_at)
    or (s.revoked ~= '0' and s.revoked ~= '1')
    or (s.revoked == '0' and s.current == '') then
    return nil, corrupt('session')
  end
  return s
end
local function keytype(key)
  local t = redis.call('TYPE', key)
  if type(t) == 'table' then t = t.ok end
  return t
end
-- peek is load for revocations, which never fail on what they delete: a
-- session, false when there is none, nil when the key holds anything
-- this store could not have written.
local function peek(key)
  local t = keytype(key)
  if t == 'none' then return false end
  if t ~= 'hash' then return nil end
  local s = load(key)
  return s
end
-- member reads whether sid is in the subject's index: true or false, or
-- nil and an error reply when the index is not a sorted set (pcall, so
-- that the caller decides whether that stops it).
local function member(key, sid)
  local r = redis.pcall('ZSCORE', key, sid)
  if type(r) == 'table' and r.err then return nil, corrupt('session index') end
  return r ~= false
end
local function checkindex(key)
  local t = keytype(key)
  if t ~= 'none' and t ~= 'zset' then return corrupt('session index') end
  return nil
end
-- over reports whether session s is past its absolute or idle end at now.
local function over(s, now)
  if not before(now, s.expires_at) then return true end
  if s.idle_ns ~= '0' then
    -- idle: now - last_used > idle, computed as last_used + idle < now
    local h1, l1 = split(s.last_used)
    local h2, l2 = split(s.idle_ns)
    local h, l = h1 + h2, l1 + l2
    if l >= 1000000000 then h, l = h + 1, l - 1000000000 end
    local nh, nl = split(now)
    if h < nh or (h == nh and l < nl) then return true end
  end
  return false
end
local function checkwrapped(key)
  local t = keytype(key)
  if t ~= 'none' and t ~= 'string' then return corrupt('kept successor') end
  return nil
end
-- samemembers compares the index with the members Go read (ARGV from
-- first on): nil when they are the same, else the resStale reply with the
-- members it holds now.
local function samemembers(key, first)
  local cur = redis.call('ZRANGE', key, 0, -1)
  local same = #cur == #ARGV - first + 1
  for i = 1, #cur do
    if not same then break end
    same = cur[i] == ARGV[first + i - 1]
  end
  if same then return nil end
  local r = {-4}
  for i = 1, #cur do r[i + 1] = cur[i] end
  return r
end
-- notify publishes the subject's tag, taken from the name of its index
-- ('<prefix>{<tag>}:i'), on '<prefix>invalidate': every Store with a live
-- cache forgets the subject's sessions. PUBLISH needs no memory, and is
-- delivered with the script's effects.
local function notify(index)
  local p, tag = string.match(index, '^([^{]*){([^}]*)}:i$')
  if p then redis.call('PUBLISH', p .. 'invalidate', tag) end
end
-- unlist removes sid from the index, whatever the key holds.
local function unlist(key, sid)
  redis.pcall('ZREM', key, sid)
end
`

// createPrelude is what both login scripts share: the arguments and the
// writes of a new session.
//
// KEYS[1] the new session's hash, KEYS[2] the subject's index.
// ARGV[1] sid, [2] subject, [3] current hash, [4] expires_at ns,
// [5] created ns, [6] idle timeout ns, [7] TTL ms, [8] server identity
// digest (empty with LosslessPersistence), [9] deadline ms, [10] index
// score (absolute end, unix ms, rounded up), [11] now ns and [12] now ms
// (the store's clock), [13..16] the user agent in four parts of at most
// 64 bytes, [17] IP, [18] label.
const createPrelude = prelude + `
local SID, SUBJECT, RUN, NOW = ARGV[1], ARGV[2], ARGV[8], ARGV[11]
-- existing answers for a session hash already under this sid: a repeat of
-- this very call (lost reply, client retry) is a success that changes
-- nothing, anything else holding it is a real clash.
local function existing(s)
  if s.subject == SUBJECT and s.current == ARGV[3] and s.revoked == '0' then return 1 end
  return 0
end
-- write records the session; the caller has validated everything. HSET
-- first: see the rule on memory.
local function write()
  local ttl = tonumber(ARGV[7])
  redis.call('HSET', KEYS[1], 'u', SUBJECT, 'r', RUN,
    'c', ARGV[3], 'p', '', 't', '0', 'e', ARGV[4],
    'l', ARGV[5], 'i', ARGV[6], 'x', '0', 'b', '',
    'a', ARGV[5], '0', ARGV[13], '1', ARGV[14], '2', ARGV[15],
    '3', ARGV[16], 'n', ARGV[17], 'm', ARGV[18])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
-- enlist makes the session live: a member of the index, which outlives
-- every session it lists (were it to go first, they would all end: safe,
-- but wrong).
local function enlist()
  local ttl = tonumber(ARGV[7])
  redis.call('ZADD', KEYS[2], ARGV[10], SID)
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
end
`

// Script results shared by Go and Lua.
const (
	resRotated = 1
	resRetried = 2
	resReused  = 3
	resUnknown = -1 // unknown, revoked, not in the index, of another server, or another subject's
	resExpired = -2
	resLate    = -3 // the caller's deadline had passed: nothing was written
	resStale   = -4 // the index no longer holds the members Go read: nothing was written
	resLimit   = -5 // CreateSession at MaxSessions with RefuseAtMax: nothing was written
	resExists  = 0  // CreateSession: the sid is taken by another session
	resOK      = 1
)

// createScript records a new session and adds it to its subject's index,
// which it first prunes of the members whose absolute end has passed (by
// the store's clock). It reads no other session.
//
// KEYS and ARGV as createPrelude. Returns {code}.
var createScript = redis.NewScript(createPrelude + `
if late(ARGV[9]) then return {-3} end
local s, err = load(KEYS[1])
if err then return err end
if s then return {existing(s)} end
local ierr = checkindex(KEYS[2])
if ierr then return ierr end
write()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[12])
enlist()
return {1}
`)

// createCappedScript is createScript under a cap on the subject's live
// sessions (MaxSessions), counted atomically with the insert. Every member
// of the index is judged at now with the rules SessionLive applies (the
// server identity included): members that are no longer live are removed
// from the index (their hashes, a reuse tombstone perhaps, are left to
// expire), and those whose hash this store could not have written are
// ended. A live session of another subject (a hash-tag collision) or of
// another server is neither counted nor touched. At the cap the oldest
// live sessions (by created_at, then sid) are ended, their hash and kept
// successor deleted, until there is room; with RefuseAtMax the script
// answers resLimit instead, having written nothing.
//
// KEYS as createPrelude, then for each member i (1-based) KEYS[1+2i] its
// hash and KEYS[2+2i] its kept successor. ARGV as createPrelude, then
// [19] MaxSessions, [20] '1' for RefuseAtMax, [21..] the members, in the
// order ZRANGE gave them.
//
// Returns {1, ended sids...}, {0} for a clash, {-5} at the cap, or
// {-4, members...} when the index no longer holds the members given.
var createCappedScript = redis.NewScript(createPrelude + `
if late(ARGV[9]) then return {-3} end
local s, err = load(KEYS[1])
if err then return err end
if s then return {existing(s)} end
local ierr = checkindex(KEYS[2])
if ierr then return ierr end
local stale = samemembers(KEYS[2], 21)
if stale then return stale end
local n = #ARGV - 20
if #KEYS ~= 2 + 2 * n then return redis.error_reply('pasetoauth: keys do not match the members') end
local live, dead, bad = {}, {}, {}
for i = 1, n do
  local sid = ARGV[20 + i]
  if sid ~= SID then
    local m = peek(KEYS[1 + 2 * i])
    if m == nil then
      bad[#bad + 1] = i
    elseif m == false or m.revoked ~= '0' or over(m, NOW) then
      dead[#dead + 1] = sid
    elseif m.subject == SUBJECT and (RUN == '' or m.run == RUN) then
      live[#live + 1] = {sid = sid, at = m.created_at, i = i}
    end
  end
end
local ending = #live + 1 - tonumber(ARGV[19])
if ending > 0 and ARGV[20] == '1' then return {-5} end
write()
for _, sid in ipairs(dead) do redis.call('ZREM', KEYS[2], sid) end
for _, i in ipairs(bad) do
  redis.call('ZREM', KEYS[2], ARGV[20 + i])
  redis.call('DEL', KEYS[1 + 2 * i], KEYS[2 + 2 * i])
end
local out = {1}
if ending > 0 then
  table.sort(live, function(a, b)
    if a.at ~= b.at then return before(a.at, b.at) end
    return bytesless(a.sid, b.sid)
  end)
  for j = 1, ending do
    local e = live[j]
    redis.call('ZREM', KEYS[2], e.sid)
    redis.call('DEL', KEYS[1 + 2 * e.i], KEYS[2 + 2 * e.i])
    out[#out + 1] = e.sid
  end
end
enlist()
if ending > 0 or #bad > 0 then notify(KEYS[2]) end
return out
`)

// rotateScript is paseto.Rotation, step for step as MemoryStore.Rotate,
// plus the server check (run) the memory store has no need of.
//
// KEYS[1] session hash, KEYS[2] subject's index, KEYS[3] kept successor.
// ARGV[1] subject, [2] presented hash, [3] successor hash, [4] wrapped
// successor (empty when grace is 0), [5] now ns, [6] grace floor ns (now -
// grace; empty when grace is 0), [7] grace ms (the kept successor's PX),
// [8] tombstone ms, [9] server identity digest (empty with
// LosslessPersistence: not checked), [10] deadline ms, [11] sid.
//
// Returns {code} or, for Retried, {code, wrapped successor}.
var rotateScript = redis.NewScript(prelude + `
if late(ARGV[10]) then return {-3} end
-- Not in the index (logged out, revoked for reuse, "log out everywhere",
-- the index lost, or a session of an earlier version of the store): not
-- live, whatever its hash holds. Only a repeat of the call that revoked
-- it for reuse answers Reused again, so the security event is not lost
-- with a lost reply; ARGV[3] is a fresh hash per call, so no other request
-- can match it. An index that cannot be read (ierr) stops every grant
-- below, but not the revocation for reuse, which does not need it.
local m, ierr = member(KEYS[2], ARGV[11])
if m == false then
  local f = redis.pcall('HMGET', KEYS[1], 'u', 'x', 'b')
  if type(f) == 'table' and not f.err and f[1] == ARGV[1] and f[2] == '1'
    and f[3] and f[3] ~= '' and f[3] == ARGV[3] then
    return {3}
  end
  return {-1}
end
local s, err = load(KEYS[1])
if err then return err end
if not s or s.subject ~= ARGV[1] then return {-1} end
if s.revoked == '1' then
  if s.reused_by ~= '' and s.reused_by == ARGV[3] then return {3} end
  return {-1}
end
-- Written by another Redis server (a restart, a restored snapshot, a
-- failover): not a session this server can vouch for.
if ARGV[9] ~= '' and s.run ~= ARGV[9] then return {-1} end
local now = ARGV[5]
if over(s, now) then return {-2} end
local rotation = ARGV[2] == s.current
local repeated = not rotation and s.previous ~= '' and ARGV[2] == s.previous and ARGV[3] == s.current
local retry = not rotation and not repeated and ARGV[6] ~= '' and s.previous ~= ''
  and ARGV[2] == s.previous and not before(s.rotated_at, ARGV[6])
if rotation or repeated or retry then
  -- A grant: everything it relies on must be sound.
  if ierr then return ierr end
  local werr = checkwrapped(KEYS[3])
  if werr then return werr end
end
if rotation then
  redis.call('HSET', KEYS[1], 'c', ARGV[3], 'p', s.current,
    't', now, 'l', now)
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
-- deleted whatever it holds, and the session leaves the index whatever
-- the index holds.
redis.call('HDEL', KEYS[1], 'c', 'p')
redis.call('DEL', KEYS[3])
unlist(KEYS[2], ARGV[11])
redis.call('HSET', KEYS[1], 'c', '', 'p', '', 'x', '1', 'b', ARGV[3])
-- Kept only so that a repeat of this call answers Reused again.
local tomb = tonumber(ARGV[8])
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 or pttl > tomb then redis.call('PEXPIRE', KEYS[1], tomb) end
notify(KEYS[2])
return {3}
`)

// revokeSessionScript ends one session: it leaves the index, and its hash
// and kept successor are deleted. A session already revoked for reuse
// keeps its short tombstone. None of the keys needs to be intact: the kept
// successor is deleted whatever its type, and so is a session hash this
// store could not have written (without it the session is dead); the
// member is removed from an index of any type. Only a readable session of
// another subject (a hash-tag collision) is left alone.
//
// KEYS[1] session hash, KEYS[2] kept successor, KEYS[3] subject's index.
// ARGV[1] subject, [2] sid, [3] now ns, [4] deadline ms.
//
// Returns {1, run} when the session was live at now by every rule but the
// server identity (run is the one it records, for Go to compare), {0}
// otherwise; {-3} when late.
var revokeSessionScript = redis.NewScript(prelude + `
if late(ARGV[4]) then return {-3} end
local m = member(KEYS[3], ARGV[2]) -- nil when the index is corrupt: not live
local s = peek(KEYS[1])            -- nil when corrupt: deleted below
if s and s.subject ~= ARGV[1] then return {0} end
local live = m == true and s and s.revoked == '0' and not over(s, ARGV[3])
if s and s.revoked == '1' then
  redis.call('DEL', KEYS[2])
else
  redis.call('DEL', KEYS[1], KEYS[2])
end
unlist(KEYS[3], ARGV[2])
notify(KEYS[3])
if live then return {1, s.run} end
return {0}
`)

// revokeOthersScript ends every session in the subject's index but one:
// each leaves the index and has its hash (but a reuse tombstone) and kept
// successor deleted, as revokeSessionScript does. A session of another
// subject (a hash-tag collision) is left alone.
//
// KEYS[1] subject's index, then for each member i (1-based) KEYS[2i] its
// hash and KEYS[2i+1] its kept successor. ARGV[1] subject, [2] the sid
// to keep (may be empty), [3] now ns, [4] deadline ms, [5..] the members,
// in the order ZRANGE gave them.
//
// Members given that have left the index since are skipped; members the
// index gained since were added by later logins and are left live.
//
// Returns {1, sid, run, sid, run...} for the sessions that were live at
// now by every rule but the server identity (run is the one each records,
// for Go to compare); {-3} when late.
var revokeOthersScript = redis.NewScript(prelude + `
if late(ARGV[4]) then return {-3} end
if keytype(KEYS[1]) ~= 'zset' then
  -- None, or corrupt: no session of the subject can be live in Redis, but
  -- a live cache may still hold some, if the index went without a script
  -- (evicted, deleted by hand): published all the same.
  notify(KEYS[1])
  return {1}
end
local n = #ARGV - 4
if #KEYS ~= 1 + 2 * n then return redis.error_reply('pasetoauth: keys do not match the members') end
local out, ending = {1}, {}
for i = 1, n do
  local sid = ARGV[4 + i]
  -- A member given but gone has been ended since; a member not given
  -- joined after the caller read the index, so it belongs to a login that
  -- came after this call began, and is left live, as RevokeSubject leaves
  -- sessions created after it. So one pass always suffices: a stream of
  -- logins cannot starve this call.
  if sid ~= ARGV[2] and redis.call('ZSCORE', KEYS[1], sid) then
    local s = peek(KEYS[2 * i])
    if not (s and s.subject ~= ARGV[1]) then
      ending[#ending + 1] = {sid = sid, i = i, s = s}
      if s and s.revoked == '0' and not over(s, ARGV[3]) then
        out[#out + 1] = sid
        out[#out + 1] = s.run
      end
    end
  end
end
for _, e in ipairs(ending) do
  redis.call('ZREM', KEYS[1], e.sid)
  if e.s and e.s.revoked == '1' then
    redis.call('DEL', KEYS[2 * e.i + 1])
  else
    redis.call('DEL', KEYS[2 * e.i], KEYS[2 * e.i + 1])
  end
end
-- Published even when nothing was ended here: a member lost without a
-- script may still be held by a live cache.
notify(KEYS[1])
return out
`)

// revokeSubjectScript ends every session of a subject by deleting its
// index, whatever the key holds: a session is live only as a member. It
// also deletes the subject's generation, the key that played this part
// before session indexes, so that an instance still running that version
// on the same prefix during an upgrade sees the subject logged out too.
//
// KEYS[1] subject's index, KEYS[2] its generation (earlier versions).
// ARGV[1] deadline ms.
var revokeSubjectScript = redis.NewScript(prelude + `
if late(ARGV[1]) then return -3 end
redis.call('DEL', KEYS[1], KEYS[2])
notify(KEYS[1])
return 1
`)

// revokeSubjectAllScript is revokeSubjectScript that also deletes the keys
// of the sessions the index lists, as revokeOthersScript does, in the same
// script: one round trip after the index is read, and no moment at which
// the sessions are gone but the index is not. Members given but no longer
// listed are left (ended since); members listed but not given joined
// after the index was read and end with the index, their keys left to
// expire. A hash of another subject (a hash-tag collision) is left, and a
// reuse tombstone keeps its hash, as revokeOthersScript leaves them.
//
// KEYS[1] subject's index, KEYS[2] its generation (earlier versions), then
// for each member i (1-based) KEYS[1+2i] its hash and KEYS[2+2i] its kept
// successor. ARGV[1] subject, [2] deadline ms, [3..] the members.
var revokeSubjectAllScript = redis.NewScript(prelude + `
if late(ARGV[2]) then return {-3} end
local n = #ARGV - 2
if #KEYS ~= 2 + 2 * n then return redis.error_reply('pasetoauth: keys do not match the members') end
if keytype(KEYS[1]) == 'zset' then
  for i = 1, n do
    if redis.call('ZSCORE', KEYS[1], ARGV[2 + i]) then
      local s = peek(KEYS[1 + 2 * i])
      if s and s.revoked == '1' then
        redis.call('DEL', KEYS[2 + 2 * i])
      elseif not (s and s.subject ~= ARGV[1]) then
        redis.call('DEL', KEYS[1 + 2 * i], KEYS[2 + 2 * i])
      end
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
notify(KEYS[1])
return {1}
`)
