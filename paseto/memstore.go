package paseto

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrStoreFull means a MemoryStore reached its bound and refused a write
// rather than forget a session or a revocation. It is reported to clients as
// store_unavailable.
var ErrStoreFull = errors.New("paseto: memory store is full")

// MemoryStoreOptions configures a MemoryStore.
type MemoryStoreOptions struct {
	// MaxEntries bounds sessions plus deny-list entries. When it is reached
	// and sweeping out expired entries frees nothing, writes fail with
	// ErrStoreFull (never silently dropping a revocation). Default 1,000,000.
	MaxEntries int
	// Clock replaces time.Now for expiring entries, for tests.
	Clock func() time.Time
}

// MemoryStore is the default Store: state in this process's memory, bounded,
// with expired entries removed as it goes. Sessions do not survive a restart
// and are not shared between instances: run several instances on the Redis
// store instead.
type MemoryStore struct {
	mu         sync.RWMutex
	sessions   map[string]*memSession
	bySubject  map[string]map[string]struct{}
	deniedJTI  map[string]time.Time
	deniedSID  map[string]time.Time
	max        int
	now        func() time.Time
	nextSweep  time.Time
	sweepEvery time.Duration
}

type memSession struct {
	subject     string
	current     string
	previous    string
	rotatedAt   time.Time
	wrapped     string
	expiresAt   time.Time
	lastUsed    time.Time
	idleTimeout time.Duration
	revoked     bool
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts MemoryStoreOptions) *MemoryStore {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 1_000_000
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &MemoryStore{
		sessions:   map[string]*memSession{},
		bySubject:  map[string]map[string]struct{}{},
		deniedJTI:  map[string]time.Time{},
		deniedSID:  map[string]time.Time{},
		max:        opts.MaxEntries,
		now:        opts.Clock,
		sweepEvery: time.Minute,
	}
}

// Revoked implements RevocationChecker with two map lookups under a read
// lock.
func (m *MemoryStore) Revoked(_ context.Context, c *Claims) (bool, error) {
	now := m.now()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if until, ok := m.deniedJTI[c.ID]; ok && now.Before(until) {
		return true, nil
	}
	if c.Session != "" {
		if until, ok := m.deniedSID[c.Session]; ok && now.Before(until) {
			return true, nil
		}
	}
	return false, nil
}

// CreateSession implements Store.
func (m *MemoryStore) CreateSession(_ context.Context, s SessionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reserve(1); err != nil {
		return err
	}
	if _, dup := m.sessions[s.ID]; dup {
		return fmt.Errorf("paseto: session %q already exists", s.ID)
	}
	m.sessions[s.ID] = &memSession{
		subject: s.Subject, current: s.Current, expiresAt: s.ExpiresAt,
		lastUsed: s.CreatedAt, idleTimeout: s.IdleTimeout,
	}
	set := m.bySubject[s.Subject]
	if set == nil {
		set = map[string]struct{}{}
		m.bySubject[s.Subject] = set
	}
	set[s.ID] = struct{}{}
	return nil
}

// Rotate implements Store; the whole step runs under the store's lock.
func (m *MemoryStore) Rotate(_ context.Context, r Rotation) (RotationResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[r.Session]
	if !ok || s.revoked || s.subject != r.Subject {
		return RotationResult{}, fmt.Errorf("%w: session unknown or revoked", ErrRevoked)
	}
	if !r.Now.Before(s.expiresAt) || (s.idleTimeout > 0 && r.Now.Sub(s.lastUsed) > s.idleTimeout) {
		return RotationResult{}, ErrSessionExpired
	}
	switch {
	case equalHash(r.Presented, s.current):
		s.previous, s.current = s.current, r.Successor
		s.rotatedAt, s.lastUsed = r.Now, r.Now
		s.wrapped = r.WrappedSuccessor
		return RotationResult{Outcome: Rotated}, nil
	case r.Grace > 0 && s.previous != "" && equalHash(r.Presented, s.previous) && r.Now.Sub(s.rotatedAt) <= r.Grace:
		return RotationResult{Outcome: Retried, WrappedSuccessor: s.wrapped}, nil
	}
	s.revoked = true
	s.wrapped = ""
	m.deniedSID[r.Session] = r.DenyUntil
	return RotationResult{Outcome: Reused}, nil
}

// RevokeSession implements Store.
func (m *MemoryStore) RevokeSession(_ context.Context, subject, sid string, denyUntil time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.revokeSession(subject, sid, denyUntil)
}

func (m *MemoryStore) revokeSession(subject, sid string, denyUntil time.Time) error {
	if s, ok := m.sessions[sid]; ok {
		if s.subject != subject {
			return fmt.Errorf("%w: session belongs to another subject", ErrRevoked)
		}
		s.revoked = true
		s.wrapped = ""
	}
	if _, ok := m.deniedSID[sid]; !ok {
		if err := m.reserve(1); err != nil {
			return err
		}
	}
	if denyUntil.After(m.deniedSID[sid]) {
		m.deniedSID[sid] = denyUntil
	}
	return nil
}

// RevokeSubject implements Store.
func (m *MemoryStore) RevokeSubject(_ context.Context, subject string, denyUntil time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sid := range m.bySubject[subject] {
		if err := m.revokeSession(subject, sid, denyUntil); err != nil {
			return err
		}
	}
	return nil
}

// RevokeToken implements Store.
func (m *MemoryStore) RevokeToken(_ context.Context, _, jti string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.deniedJTI[jti]; !ok {
		if err := m.reserve(1); err != nil {
			return err
		}
	}
	if until.After(m.deniedJTI[jti]) {
		m.deniedJTI[jti] = until
	}
	return nil
}

// Len returns the number of sessions and deny-list entries held.
func (m *MemoryStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.sessions) + len(m.deniedJTI) + len(m.deniedSID)
}

// reserve makes room for n new entries, sweeping expired ones when due or
// when full. The caller holds the write lock.
func (m *MemoryStore) reserve(n int) error {
	now := m.now()
	if now.After(m.nextSweep) || m.size()+n > m.max {
		m.sweep(now)
		m.nextSweep = now.Add(m.sweepEvery)
	}
	if m.size()+n > m.max {
		return ErrStoreFull
	}
	return nil
}

func (m *MemoryStore) size() int { return len(m.sessions) + len(m.deniedJTI) + len(m.deniedSID) }

// sweep removes sessions past their absolute or idle end and deny entries
// past their time. Revoked sessions stay until their absolute end so that a
// replayed refresh token keeps failing as revoked.
func (m *MemoryStore) sweep(now time.Time) {
	for sid, s := range m.sessions {
		idle := s.idleTimeout > 0 && now.Sub(s.lastUsed) > s.idleTimeout
		if !now.Before(s.expiresAt) || (idle && !s.revoked) {
			delete(m.sessions, sid)
			if set := m.bySubject[s.subject]; set != nil {
				delete(set, sid)
				if len(set) == 0 {
					delete(m.bySubject, s.subject)
				}
			}
		}
	}
	for k, until := range m.deniedJTI {
		if !now.Before(until) {
			delete(m.deniedJTI, k)
		}
	}
	for k, until := range m.deniedSID {
		if !now.Before(until) {
			delete(m.deniedSID, k)
		}
	}
}

func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
