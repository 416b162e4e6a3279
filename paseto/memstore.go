package paseto

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// MemoryStoreConfig configures a MemoryStore.
type MemoryStoreConfig struct {
	// MaxEntries bounds the records held: one per session (live, or revoked
	// for reuse within the last minute) and one per subject with a session that has
	// not ended. When it is reached and removing expired records frees no
	// room, CreateSession (so Login) fails with ErrStoreFull; nothing is
	// evicted to make room. Revocation never needs room and never fails.
	// Default 1,000,000 records, about 190 MB when full: a session and its
	// subject's record take about 374 B together after a refresh (421 B
	// with a Device), and a session kept for a grace window holds what
	// mints its successor again too, about 484 B in all, for that long
	// (BenchmarkMemoryStoreSessionSize).
	MaxEntries int
	// Clock replaces time.Now for expiring records, for tests.
	Clock func() time.Time
}

// MemoryStore is the default Store: state in this process's memory, bounded
// by MaxEntries. Sessions do not survive a restart (every user logs in
// again, and nothing revoked comes back, since a session the store does not
// know is not live) and are not shared between instances: run several
// instances on the Redis store instead.
//
// # Concurrency
//
// Sessions are spread over memShards shards by a hash of their ID, and
// subjects over as many by a hash of the subject, each shard under its own
// lock, so writers on one shard do not stop readers on the others. A
// session points to its subject's record, whose generation is atomic, so
// SessionLive is one map lookup under one read lock and allocates nothing.
// The calls that work on a subject's sessions as a whole (CreateSession,
// ListSessions, RevokeOtherSessions, RevokeSubject) hold its subject
// shard's lock throughout, and take its sessions' shard locks one at a
// time inside it; no call takes a subject lock while it holds a session
// lock, so the two cannot deadlock.
//
// # Listing
//
// A subject's record lists the sessions created under it, so ListSessions
// and RevokeOtherSessions cost in proportion to that subject's sessions.
// Every live session is on its subject's list: it is added, under the
// subject's lock, by the CreateSession that makes it live, and only dead
// sessions are dropped from it, when CreateSession finds the list has
// doubled since it was last tidied (or counts it for MaxSessions), and by
// ListSessions and RevokeOtherSessions as they pass.
//
// # Expiry
//
// There is no sweep. Each shard keeps its sessions in a min-heap by the
// time they end (absolute, idle, or their tombstone's), and the sessions
// keeping a wrapped successor in a FIFO by the end of its grace window;
// subject shards keep a heap by the end of each subject's last session.
// Each write handles at most memExpireBatch due entries of the shard it
// locks (a login also tidies one more subject shard, in turn); a session
// whose end has moved since it was queued, such as an idle session that was
// refreshed, is queued again rather than removed. Only a CreateSession that
// finds the store full visits every shard, one at a time and a bounded
// number of entries each. Answers never depend on this housekeeping: each
// compares times itself, so a record not yet removed reads as ended from
// the moment it ends.
//
// # Revocation
//
// Reuse detection marks the session revoked and keeps it for
// memTombstone, so that a repeat of the Rotate call that detected reuse
// answers Reused again; after that the record is gone and the session reads
// as unknown, which is just as dead. Logout and the other revocations
// remove the session at once. RevokeSubject replaces the subject's
// generation, which every session of the subject carries, so it ends
// sessions it cannot enumerate; a session created before RevokeSubject
// returns carries an old generation, one created after it the new one.
// Generations come from a per-store counter, so a subject that is forgotten
// and seen again never gets back a generation an old session carries. A
// session of an old generation is removed at its own end, or as soon as a
// Rotate finds it out.
//
// # Why it is written here
//
// The core package imports only the standard library and golang.org/x, so
// it cannot use a cache library; and caches evict to make room, which is
// exactly what a session store must not do silently (an evicted record is
// a user logged out; evicting a revocation would be worse, which is why
// revocation here removes or marks records and never adds one).
type MemoryStore struct {
	seed     maphash.Seed
	sessions [memShards]sessionShard
	subjects [memShards]subjectShard
	count    atomic.Int64 // records held, plus room reserved by CreateSession
	max      int64
	gens     atomic.Uint64 // the last generation handed out
	tidy     atomic.Uint64 // the subject shard CreateSession tidies next
	now      func() time.Time
}

const (
	// memShards is a power of two: a shard is chosen by masking a hash.
	memShards = 64
	// memExpireBatch bounds the due records one write pops from one shard:
	// enough to keep up with the records writes create (each session falls
	// due once or twice per write made to it), small enough that the
	// readers of that shard barely wait.
	memExpireBatch = 8
	// memReclaimBatch bounds what a CreateSession on a full store pops from
	// each shard before giving up with ErrStoreFull.
	memReclaimBatch = 256
)

// memTombstone is how long a revoked session is remembered: only so that a
// repeat of the Rotate call that detected reuse answers Reused again. It
// grants nothing: a revoked or forgotten session is not live either way.
const memTombstone = MaxGracePeriod

type sessionShard struct {
	mu   sync.RWMutex
	m    map[string]*memSession
	q    expiryQueue[*memSession] // by the time each session ends
	kept keptQueue                // wrapped successors, by the end of their window
	_    [64]byte                 // keeps the hot fields of neighbouring shards off one cache line
}

type subjectShard struct {
	mu sync.Mutex // only writers take it: readers go through their session
	m  map[string]*memSubject
	q  expiryQueue[*memSubject]
	_  [64]byte
}

// Times are Unix nanoseconds: a third of the size of a time.Time and no
// pointer for the garbage collector to follow. Token hashes are kept
// inline, 128 bits each (see tokenHash). What only a login with a device,
// a grace window or a revocation needs is behind a pointer, nil until
// then: a plain session is 144 bytes (a size class of its own) instead of
// 248 (256).
type memSession struct {
	queued
	revoked bool
	sid     string
	subject string
	// current and previous are the session's refresh-token hashes. Once
	// the session is revoked for reuse, current is the Successor of the
	// Rotate that detected it, so that a repeat of that call answers
	// Reused again.
	current, previous tokenHash
	sub               *memSubject // its subject's record when it was created
	gen               uint64      // sub's generation when it was created
	device            *Device     // nil when the login gave none
	aside             *memAside   // nil until a grace window or a revocation
	createdAt         int64
	expiresAt         int64 // not live from then on
	idle              int64 // idle timeout; 0 disables it
	idleEnd           int64 // last use plus idle: not live after it
	rotatedAt         int64
}

// memAside holds a session's rarely needed fields: 24 bytes, a size class
// of its own.
type memAside struct {
	kept string // the successor kept for a retry, packed (packKept)
	// at is, while kept is set, the end of the grace window: kept is kept
	// up to and including then; for a revoked session (whose kept is
	// dropped), the end of its tombstone.
	at int64
}

// tokenHash is what a MemoryStore keeps of a refresh-token hash the core
// passes: the first 128 bits of its SHA-256, as the Redis store does,
// inline instead of a 43-byte string of its own (two of them are a fifth
// of a session's memory). The zero value stands for the empty hash.
type tokenHash [16]byte

func hashOf(h string) tokenHash {
	var t tokenHash
	if h == "" {
		return t
	}
	var sum [sha256.Size]byte
	var buf [64]byte
	if len(h) <= len(buf) {
		// The core's hashes (43 bytes) without a conversion's allocation.
		sum = sha256.Sum256(buf[:copy(buf[:], h)])
	} else {
		sum = sha256.Sum256([]byte(h))
	}
	copy(t[:], sum[:])
	return t
}

// packKept is how a session holds a kept successor: the core's sealed
// value, unpadded base64url, as the bytes it encodes after a 0 byte (a
// quarter smaller: 63 bytes, not 83); any other value as it is, after a 1
// byte.
func packKept(v string) string {
	enc := base64.RawURLEncoding.Strict()
	raw, err := enc.DecodeString(v)
	var b strings.Builder
	if err != nil || enc.EncodedLen(len(raw)) != len(v) { // the decoder skips newlines
		b.Grow(1 + len(v))
		b.WriteByte(1)
		b.WriteString(v)
		return b.String()
	}
	b.Grow(1 + len(raw))
	b.WriteByte(0)
	b.Write(raw)
	return b.String()
}

// unpackKept is the value packKept packed.
func unpackKept(p string) string {
	switch {
	case p == "":
		return ""
	case p[0] == 0:
		return base64.RawURLEncoding.EncodeToString([]byte(p[1:]))
	}
	return p[1:]
}

// side returns s's aside, creating it.
func (s *memSession) side() *memAside {
	if s.aside == nil {
		s.aside = new(memAside)
	}
	return s.aside
}

// keeps reports whether s holds a kept successor (packed).
func (s *memSession) keeps() bool {
	return s.aside != nil && s.aside.kept != ""
}

// keepUntil is the end of the grace window of s's kept successor; only
// while it keeps one.
func (s *memSession) keepUntil() int64 {
	if s.aside == nil {
		return 0
	}
	return s.aside.at
}

// forgetAt is the end of a revoked session's tombstone.
func (s *memSession) forgetAt() int64 {
	if s.aside == nil {
		return 0
	}
	return s.aside.at
}

// dropWrapped forgets the kept successor, if any.
func (s *memSession) dropWrapped() {
	if s.aside != nil {
		s.aside.kept = ""
	}
}

type memSubject struct {
	queued
	tidyAt int32 // see sessions
	name   string
	// gen is replaced by RevokeSubject and zeroed when the record is
	// removed; 0 is never handed out. It is atomic so that SessionLive and
	// Rotate read it, through their session's pointer to this record,
	// without a second lookup or lock.
	gen   atomic.Uint64
	until int64 // the latest end of its sessions: removed from then on
	// sessions are those created under this record: every live one, and
	// dead ones until they are tidied away. tidyAt is the length at which
	// CreateSession next tidies it.
	sessions []*memSession
}

// memTidyMin is the shortest session list CreateSession tidies.
const memTidyMin = 8

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(cfg MemoryStoreConfig) *MemoryStore {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 1_000_000
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	m := &MemoryStore{seed: maphash.MakeSeed(), max: int64(cfg.MaxEntries), now: cfg.Clock}
	for i := range m.sessions {
		m.sessions[i].m = map[string]*memSession{}
		m.subjects[i].m = map[string]*memSubject{}
	}
	return m
}

func (m *MemoryStore) sessionShard(sid string) *sessionShard {
	return &m.sessions[maphash.String(m.seed, sid)&(memShards-1)]
}

func (m *MemoryStore) subjectShard(subject string) *subjectShard {
	return &m.subjects[maphash.String(m.seed, subject)&(memShards-1)]
}

// SessionLive implements SessionChecker with one map lookup under its
// shard's read lock, and an atomic read of the subject's generation.
func (m *MemoryStore) SessionLive(_ context.Context, subject, sid string, now time.Time) (bool, error) {
	sh := m.sessionShard(sid)
	sh.mu.RLock()
	s := sh.m[sid]
	live := s != nil && s.subject == subject && s.liveAt(unixNano(now))
	sh.mu.RUnlock()
	return live, nil
}

// liveAt reports whether s is live at t: not revoked, not past its
// absolute or idle end, and of its subject's current generation. The
// caller holds s's shard lock.
func (s *memSession) liveAt(t int64) bool {
	return !s.revoked && t < s.expiresAt && t <= s.idleEnd && s.currentGeneration()
}

// currentGeneration reports whether s carries its subject's generation: no
// RevokeSubject since s was created, and the subject's record not removed.
func (s *memSession) currentGeneration() bool { return s.sub.gen.Load() == s.gen }

// CreateSession implements Store. It fails with ErrStoreFull when the store
// holds MaxEntries records and none of them has expired, and with
// ErrSessionLimit at r.MaxSessions with r.RefuseAtMax. It holds the
// subject's lock throughout, so that counting the subject's sessions for
// MaxSessions, ending the oldest and adding this one are one step.
func (m *MemoryStore) CreateSession(_ context.Context, r SessionRecord) ([]string, error) {
	now := unixNano(m.now())
	// Room for the session and, should its subject be new, the subject's
	// record, taken before any shard is locked so that reclaiming can visit
	// every shard.
	if !m.reserve(2, now) {
		return nil, ErrStoreFull
	}
	sh := m.sessionShard(r.ID)
	sh.mu.RLock()
	_, dup := sh.m[r.ID]
	sh.mu.RUnlock()
	if dup {
		m.count.Add(-2)
		return nil, fmt.Errorf("paseto: session %q already exists", r.ID)
	}

	ss := m.subjectShard(r.Subject)
	ss.mu.Lock()
	ended, err := m.createUnder(ss, r, now)
	ss.mu.Unlock()
	// Subjects are written only at login, so logins of a few busy subjects
	// would leave the other shards' ended subjects in place: each login
	// also tidies one subject shard in turn, once it holds no lock.
	if other := &m.subjects[m.tidy.Add(1)&(memShards-1)]; other != ss {
		other.mu.Lock()
		m.expireSubjects(other, now, memExpireBatch)
		other.mu.Unlock()
	}
	return ended, err
}

// createUnder is CreateSession once the room is reserved, under the
// subject shard's lock.
func (m *MemoryStore) createUnder(ss *subjectShard, r SessionRecord, now int64) ([]string, error) {
	expires := unixNano(r.ExpiresAt)
	sh := m.sessionShard(r.ID)
	m.expireSubjects(ss, now, memExpireBatch)
	spare := int64(1) // the subject's room, unless it is new
	sub := ss.m[r.Subject]
	if sub == nil {
		sub = &memSubject{name: r.Subject, until: expires, tidyAt: memTidyMin}
		sub.gen.Store(m.gens.Add(1))
		ss.m[r.Subject] = sub
		ss.q.push(sub, expires)
		spare = 0
	}
	var ended []string
	if r.MaxSessions > 0 || len(sub.sessions) >= int(sub.tidyAt) {
		live := m.tidySessions(sub, now)
		if over := len(live) - r.MaxSessions + 1; r.MaxSessions > 0 && over > 0 {
			if r.RefuseAtMax {
				m.count.Add(-1 - spare)
				return nil, ErrSessionLimit
			}
			slices.SortFunc(live, func(x, y *memSession) int {
				if c := cmp.Compare(x.createdAt, y.createdAt); c != 0 {
					return c
				}
				return cmp.Compare(x.sid, y.sid)
			})
			for _, old := range live[:over] {
				if m.revokeIfLive(old, now) {
					ended = append(ended, old.sid)
				}
			}
		}
	}
	if expires > sub.until {
		sub.until = expires // its queue entry moves on lazily when it falls due
	}
	// Reading the generation is what orders this call against
	// RevokeSubject: the session is live only if no RevokeSubject replaced
	// the generation after this point.
	gen := sub.gen.Load()

	s := &memSession{
		sid: r.ID, subject: r.Subject, current: hashOf(r.Current), sub: sub, gen: gen,
		createdAt: unixNano(r.CreatedAt), expiresAt: expires, idleEnd: math.MaxInt64,
	}
	if r.Device != (Device{}) {
		d := r.Device
		s.device = &d
	}
	if r.IdleTimeout > 0 {
		s.idle = int64(r.IdleTimeout)
		s.idleEnd = unixnano.AddSat(s.createdAt, s.idle)
	}
	sh.mu.Lock()
	m.expireSessions(sh, now, memExpireBatch)
	if _, dup := sh.m[r.ID]; dup {
		sh.mu.Unlock()
		m.count.Add(-1 - spare)
		return ended, fmt.Errorf("paseto: session %q already exists", r.ID)
	}
	sh.m[r.ID] = s
	sh.q.push(s, s.nextDue())
	sh.mu.Unlock()
	sub.sessions = append(sub.sessions, s)
	if spare > 0 {
		m.count.Add(-spare)
	}
	return ended, nil
}

// tidySessions drops sub's dead sessions from its list and returns the live ones
// (at now). The caller holds sub's shard lock.
func (m *MemoryStore) tidySessions(sub *memSubject, now int64) []*memSession {
	kept := sub.sessions[:0]
	for _, s := range sub.sessions {
		if m.liveUnder(s, now) {
			kept = append(kept, s)
		}
	}
	clear(sub.sessions[len(kept):])
	sub.sessions = kept
	sub.tidyAt = int32(min(max(memTidyMin, 2*len(kept)), math.MaxInt32))
	return slices.Clone(kept)
}

// liveUnder reads, under its shard's lock, whether s is live at now.
func (m *MemoryStore) liveUnder(s *memSession, now int64) bool {
	sh := m.sessionShard(s.sid)
	sh.mu.RLock()
	live := sh.m[s.sid] == s && s.liveAt(now)
	sh.mu.RUnlock()
	return live
}

// revokeIfLive revokes s, under its shard's lock, and reports whether it
// was live at now.
func (m *MemoryStore) revokeIfLive(s *memSession, now int64) bool {
	sh := m.sessionShard(s.sid)
	sh.mu.Lock()
	live := sh.m[s.sid] == s && s.liveAt(now)
	if sh.m[s.sid] == s && !s.revoked {
		m.forget(sh, s)
	}
	sh.mu.Unlock()
	return live
}

// info describes s for ListSessions. The caller holds s's shard lock.
func (s *memSession) info() SessionInfo {
	last := max(s.createdAt, s.rotatedAt)
	info := SessionInfo{
		ID: s.sid, CreatedAt: time.Unix(0, s.createdAt).UTC(), LastUsedAt: time.Unix(0, last).UTC(),
		ExpiresAt: time.Unix(0, min(s.expiresAt, s.idleEnd)).UTC(),
	}
	if s.device != nil {
		info.Device = *s.device
	}
	return info
}

// ListSessions implements Store: it walks the subject's list of sessions,
// dropping the dead ones as it goes.
func (m *MemoryStore) ListSessions(_ context.Context, subject string, now time.Time) ([]SessionInfo, error) {
	t := unixNano(now)
	ss := m.subjectShard(subject)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sub := ss.m[subject]
	if sub == nil {
		return nil, nil
	}
	list := make([]SessionInfo, 0, len(sub.sessions))
	kept := sub.sessions[:0]
	for _, s := range sub.sessions {
		sh := m.sessionShard(s.sid)
		sh.mu.RLock()
		if sh.m[s.sid] == s && s.liveAt(t) {
			list = append(list, s.info())
			kept = append(kept, s)
		}
		sh.mu.RUnlock()
	}
	clear(sub.sessions[len(kept):])
	sub.sessions = kept
	return list, nil
}

// Rotate implements Store; the whole step runs under the session's shard
// lock.
func (m *MemoryStore) Rotate(_ context.Context, r Rotation) (RotationResult, error) {
	sh := m.sessionShard(r.Session)
	sh.mu.Lock()
	res, err := m.rotate(sh, r)
	// Afterwards, so that a session ending right now answers
	// ErrSessionExpired rather than reading as unknown.
	m.expireSessions(sh, unixNano(m.now()), memExpireBatch)
	sh.mu.Unlock()
	return res, err
}

func (m *MemoryStore) rotate(sh *sessionShard, r Rotation) (RotationResult, error) {
	t := unixNano(r.Now)
	s := sh.m[r.Session]
	if s == nil || s.subject != r.Subject {
		return RotationResult{}, fmt.Errorf("%w: session unknown or revoked", ErrRevoked)
	}
	if s.revoked {
		if s.current != (tokenHash{}) && s.current == hashOf(r.Successor) {
			return RotationResult{Outcome: Reused}, nil // a repeat of the call that detected it
		}
		return RotationResult{}, fmt.Errorf("%w: session unknown or revoked", ErrRevoked)
	}
	if !s.currentGeneration() {
		// Ended by RevokeSubject: no need to keep it until its end.
		sh.revoke(s, t)
		return RotationResult{}, fmt.Errorf("%w: session unknown or revoked", ErrRevoked)
	}
	if t >= s.expiresAt || t > s.idleEnd {
		return RotationResult{}, ErrSessionExpired
	}
	presented, successor := hashOf(r.Presented), hashOf(r.Successor)
	switch {
	case equalHash(presented, s.current):
		s.previous, s.current = s.current, successor
		s.rotatedAt = t
		if s.idle > 0 {
			s.idleEnd = unixnano.AddSat(t, s.idle)
		}
		s.dropWrapped()
		if r.Grace > 0 && r.WrappedSuccessor != "" {
			// Kept for the grace window only: nothing can use it later.
			a := s.side()
			a.kept, a.at = packKept(r.WrappedSuccessor), unixnano.AddSat(t, int64(r.Grace))
			sh.kept.push(s)
		}
		// The session's end can only have moved later: its queue entry
		// finds out when it comes.
		return RotationResult{Outcome: Rotated}, nil
	case s.previous != (tokenHash{}) && equalHash(presented, s.previous) && equalHash(successor, s.current):
		return RotationResult{Outcome: Rotated}, nil // this very rotation, repeated
	case r.Grace > 0 && s.previous != (tokenHash{}) && equalHash(presented, s.previous) && t-s.rotatedAt <= int64(r.Grace):
		if s.keeps() && t <= s.keepUntil() {
			return RotationResult{Outcome: Retried, WrappedSuccessor: unpackKept(s.aside.kept)}, nil
		}
		// A retry inside its window whose successor another call, at the
		// store's later clock, has dropped: nothing to hand out, and a
		// retry is no theft. Deny, change nothing.
		return RotationResult{}, fmt.Errorf("%w: the successor kept for the grace window is gone", ErrRevoked)
	}
	sh.revoke(s, t)
	s.current = successor // see memSession.current
	return RotationResult{Outcome: Reused}, nil
}

// RevokeSession implements Store. It marks the session revoked in place, so
// it needs no room and cannot fail for want of it.
func (m *MemoryStore) RevokeSession(_ context.Context, subject, sid string, now time.Time) (bool, error) {
	t := unixNano(m.now())
	sh := m.sessionShard(sid)
	sh.mu.Lock()
	ended := false
	if s := sh.m[sid]; s != nil && s.subject == subject {
		ended = s.liveAt(unixNano(now))
		if !s.revoked {
			m.forget(sh, s)
		}
	}
	m.expireSessions(sh, t, memExpireBatch)
	sh.mu.Unlock()
	return ended, nil
}

// forget removes s at once: a revocation other than reuse needs no
// tombstone (nothing repeats it to a different answer), and removing it
// frees its room, so that logins and revocations in a loop cannot fill
// the store. The caller holds s's shard lock.
func (m *MemoryStore) forget(sh *sessionShard, s *memSession) {
	sh.q.remove(int(s.idx))
	delete(sh.m, s.sid)
	s.revoked = true
	s.current, s.previous = tokenHash{}, tokenHash{}
	s.dropWrapped()
	m.count.Add(-1)
}

// RevokeOtherSessions implements Store: under the subject's lock, every
// session on its list but keep is revoked in place, and the list keeps
// only keep.
func (m *MemoryStore) RevokeOtherSessions(_ context.Context, subject, keep string, now time.Time) ([]string, error) {
	t := unixNano(now)
	ss := m.subjectShard(subject)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sub := ss.m[subject]
	if sub == nil {
		return nil, nil
	}
	var ended []string
	kept := sub.sessions[:0]
	for _, s := range sub.sessions {
		if s.sid == keep {
			kept = append(kept, s)
			continue
		}
		if m.revokeIfLive(s, t) {
			ended = append(ended, s.sid)
		}
	}
	clear(sub.sessions[len(kept):])
	sub.sessions = kept
	return ended, nil
}

// RevokeSubject implements Store: the subject gets a new generation, which
// no existing session carries, and every session on its list is forgotten
// at once, as RevokeOtherSessions forgets them. It replaces a value in
// place and frees room, so it cannot fail for want of it.
func (m *MemoryStore) RevokeSubject(_ context.Context, subject string) error {
	now := unixNano(m.now())
	ss := m.subjectShard(subject)
	ss.mu.Lock()
	m.expireSubjects(ss, now, memExpireBatch)
	if sub := ss.m[subject]; sub != nil {
		sub.gen.Store(m.gens.Add(1))
		for _, s := range sub.sessions {
			m.revokeIfLive(s, now)
		}
		clear(sub.sessions)
		sub.sessions, sub.tidyAt = nil, memTidyMin
	}
	ss.mu.Unlock()
	return nil
}

// Len returns the number of sessions and subjects held.
func (m *MemoryStore) Len() int { return int(m.count.Load()) }

// revoke marks s revoked and lets it go once a repeated Rotate can no
// longer need the answer. The caller holds the shard's lock.
func (sh *sessionShard) revoke(s *memSession, now int64) {
	end := s.expiresAt
	if s.revoked {
		end = s.forgetAt() // a second revocation does not extend the first
	} else {
		s.current, s.previous = tokenHash{}, tokenHash{}
	}
	s.revoked = true
	s.dropWrapped()
	s.side().at = min(end, unixnano.AddSat(now, int64(memTombstone)))
	sh.requeue(s)
}

// requeue moves s's queue entry earlier when s now ends sooner. A later end
// is left for the entry to find out when it comes (see expireSessions).
func (sh *sessionShard) requeue(s *memSession) {
	if due := s.nextDue(); due < sh.q[s.idx].due {
		sh.q.set(int(s.idx), due)
	}
}

// forgettable reports whether s can be removed at now: a live session at
// its end, a revoked one at the end of its tombstone.
func (s *memSession) forgettable(now int64) bool {
	if s.revoked {
		return now >= s.forgetAt()
	}
	return now >= s.expiresAt || now > s.idleEnd
}

// nextDue is when s can be removed, as far as is known now.
func (s *memSession) nextDue() int64 {
	if s.revoked {
		return s.forgetAt()
	}
	return min(s.expiresAt, unixnano.AddSat(s.idleEnd, 1))
}

// reserve takes room for n records, first removing expired ones from every
// shard if the store is full. The caller holds no shard lock.
func (m *MemoryStore) reserve(n, now int64) bool {
	if m.tryReserve(n) {
		return true
	}
	for i := range m.sessions {
		sh := &m.sessions[i]
		sh.mu.Lock()
		m.expireSessions(sh, now, memReclaimBatch)
		sh.mu.Unlock()
	}
	for i := range m.subjects {
		ss := &m.subjects[i]
		ss.mu.Lock()
		m.expireSubjects(ss, now, memReclaimBatch)
		ss.mu.Unlock()
	}
	return m.tryReserve(n)
}

func (m *MemoryStore) tryReserve(n int64) bool {
	for {
		c := m.count.Load()
		if c+n > m.max {
			return false
		}
		if m.count.CompareAndSwap(c, c+n) {
			return true
		}
	}
}

// expireSessions handles at most budget of sh's records that have fallen
// due at now: it drops wrapped successors past their grace window, removes
// the sessions that ended, and re-queues the rest at their next due time.
// The caller holds sh's write lock.
func (m *MemoryStore) expireSessions(sh *sessionShard, now int64, budget int) {
	budget -= sh.kept.expire(now, budget)
	freed := int64(0)
	for ; budget > 0 && len(sh.q) > 0 && sh.q[0].due <= now; budget-- {
		s := sh.q[0].x
		if s.forgettable(now) {
			sh.q.remove(0)
			delete(sh.m, s.sid)
			freed++
			continue
		}
		if s.keeps() && now > s.keepUntil() {
			s.dropWrapped()
		}
		sh.q.set(0, s.nextDue()) // after now: see forgettable
	}
	if freed > 0 {
		m.count.Add(-freed)
	}
}

// expireSubjects is expireSessions for subjects, which end with their last
// session.
func (m *MemoryStore) expireSubjects(ss *subjectShard, now int64, budget int) {
	freed := int64(0)
	for ; budget > 0 && len(ss.q) > 0 && ss.q[0].due <= now; budget-- {
		sub := ss.q[0].x
		if now >= sub.until {
			ss.q.remove(0)
			delete(ss.m, sub.name)
			sub.gen.Store(0) // for the sessions that still point here
			freed++
			continue
		}
		ss.q.set(0, sub.until)
	}
	if freed > 0 {
		m.count.Add(-freed)
	}
}

// keptQueue lists the sessions of a shard that keep a wrapped successor,
// in the order their rotations took the lock. Every grace window has the
// same length (Config.GracePeriod), so that is the order in which they
// end, and a slice used as a FIFO does what a heap would, without sifting.
// Should windows of different lengths share a store, one that ends sooner
// than the one before it waits for it: that holds memory for at most the
// difference, and grants nothing, since Rotate checks the time itself.
type keptQueue struct {
	items []keptItem
	head  int
}

type keptItem struct {
	until int64 // the window's end: s.keepUntil when it was queued
	s     *memSession
}

func (k *keptQueue) push(s *memSession) {
	k.items = append(k.items, keptItem{s.keepUntil(), s})
}

// expire drops at most budget successors whose window ended before now,
// and reports how many entries it took. An entry whose session has since
// rotated again, or been revoked, no longer matches it and is skipped.
func (k *keptQueue) expire(now int64, budget int) int {
	n := 0
	for ; n < budget && k.head < len(k.items) && k.items[k.head].until < now; n++ {
		it := k.items[k.head]
		k.items[k.head] = keptItem{}
		k.head++
		if it.s.keeps() && it.s.keepUntil() == it.until {
			it.s.dropWrapped()
		}
	}
	if k.head == len(k.items) {
		k.items, k.head = k.items[:0], 0
	} else if k.head >= 64 && 2*k.head >= len(k.items) {
		live := copy(k.items, k.items[k.head:])
		clear(k.items[live:])
		k.items, k.head = k.items[:live], 0
	}
	return n
}

// queued is a record's place in its shard's expiryQueue.
// queued is a record's index in its queue. An int32 leaves room for a
// 4-byte field beside it (a shard never holds 2^31 records).
type queued struct{ idx int32 }

func (q *queued) slot() *int32 { return &q.idx }

// expiryQueue is a 4-ary min-heap of records by due time. The due times sit
// in the heap itself, so sifting compares without following pointers (four
// siblings share a cache line), and each record keeps its index, so that
// its due time can change in place.
type expiryQueue[T interface{ slot() *int32 }] []queueItem[T]

type queueItem[T any] struct {
	due int64 // Unix ns
	x   T
}

func (q expiryQueue[T]) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	*q[i].x.slot() = int32(i)
	*q[j].x.slot() = int32(j)
}

func (q *expiryQueue[T]) push(x T, due int64) {
	*x.slot() = int32(len(*q))
	*q = append(*q, queueItem[T]{due, x})
	q.up(len(*q) - 1)
}

// remove takes out the record at index i.
func (q *expiryQueue[T]) remove(i int) {
	last := len(*q) - 1
	if i != last {
		q.swap(i, last)
	}
	(*q)[last] = queueItem[T]{}
	*q = (*q)[:last]
	if i != last {
		q.fix(i)
	}
}

// set changes the due time at index i.
func (q expiryQueue[T]) set(i int, due int64) {
	q[i].due = due
	q.fix(i)
}

func (q expiryQueue[T]) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q expiryQueue[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 4
		if q[j].due >= q[i].due {
			break
		}
		q.swap(i, j)
		j = i
	}
}

func (q expiryQueue[T]) down(i0 int) bool {
	i, n := i0, len(q)
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		j := first
		for c := first + 1; c < min(first+4, n); c++ {
			if q[c].due < q[j].due {
				j = c
			}
		}
		if q[j].due >= q[i].due {
			break
		}
		q.swap(i, j)
		i = j
	}
	return i > i0
}

// unixNano is t in Unix nanoseconds, saturating outside the years
// 1678-2262 (a zero time is the distant past, not an overflow).
func unixNano(t time.Time) int64 {
	const maxSec = math.MaxInt64/int64(time.Second) - 1
	switch s := t.Unix(); {
	case s < -maxSec:
		return math.MinInt64
	case s > maxSec:
		return math.MaxInt64
	}
	return t.UnixNano()
}

func equalHash(a, b tokenHash) bool {
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
