package pasetotest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Op names one or more methods of [paseto.Store], as a bit set: combine
// them with |. [FaultyStore.Set] and [FaultyStore.Calls] take them.
type Op uint8

// The operations of a [paseto.Store].
const (
	OpSessionLive Op = 1 << iota
	OpCreateSession
	OpRotate
	OpListSessions
	OpRevokeSession
	OpRevokeOtherSessions
	OpRevokeSubject

	// AllOps is every operation.
	AllOps = OpSessionLive | OpCreateSession | OpRotate | OpListSessions |
		OpRevokeSession | OpRevokeOtherSessions | OpRevokeSubject
)

// String names the operations in o, for messages.
func (o Op) String() string {
	s := ""
	for i := range opCount {
		if o&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += opNames[i]
		}
	}
	if s == "" {
		return fmt.Sprintf("Op(%d)", uint8(o))
	}
	return s
}

// opCount is the number of operations, the bits of AllOps.
const opCount = 7

var opNames = [opCount]string{"SessionLive", "CreateSession", "Rotate", "ListSessions",
	"RevokeSession", "RevokeOtherSessions", "RevokeSubject"}

// Fault is what a [FaultyStore] does instead of answering.
type Fault uint8

const (
	// NoFault passes calls to the store behind: the default, and how a
	// test heals a store it broke.
	NoFault Fault = iota
	// Unavailable fails every call at once with an error wrapping
	// [ErrUnavailable] and nothing of package paseto's, as a refused
	// connection does: Auth answers it with [paseto.ErrStoreUnavailable]
	// (503 temporarily_unavailable, Retry-After).
	Unavailable
	// Hang makes every call wait until its context is done, then fail
	// with the context's error, as a call to a hung Redis does: only
	// the caller's deadline ([paseto.Config.StoreTimeout] under an Auth)
	// ends it. A call whose context has no deadline fails at once with
	// [ErrNoDeadline] instead, so that a missing deadline fails the test
	// rather than hanging it.
	Hang
	// Corrupt fails every call with an error wrapping [ErrCorrupt], and so
	// [paseto.ErrStoreCorrupt], as a store does that reads a record it
	// could not have written.
	Corrupt
)

// The errors a [FaultyStore] fails with. Test with errors.Is: each error
// returned wraps one of them and names the operation.
var (
	// ErrUnavailable is the failure of the Unavailable fault.
	ErrUnavailable = errors.New("pasetotest: store unavailable (injected fault)")
	// ErrCorrupt is the failure of the Corrupt fault. It wraps
	// paseto.ErrStoreCorrupt.
	ErrCorrupt = fmt.Errorf("pasetotest: corrupt record (injected fault): %w", paseto.ErrStoreCorrupt)
	// ErrNoDeadline is the failure of the Hang fault for a call whose
	// context has no deadline: against a hung store it might never return.
	ErrNoDeadline = errors.New("pasetotest: store call without a deadline while the store hangs")
)

// FaultyStore wraps a [paseto.Store] to inject failures and count calls.
// Every call is counted ([FaultyStore.Calls]), then either passed to the
// store behind or failed as [FaultyStore.Set] chose for its operation. It
// is safe for concurrent use: a test may break or heal it while requests
// run.
//
// A [Kit]'s Store is a FaultyStore. The kit's own calls ([Kit.Login],
// [Kit.AccessToken], [Kit.CookieLogin]) pass through whatever its faults,
// and are not counted.
type FaultyStore struct {
	inner  paseto.Store
	faults [opCount]atomic.Uint32
	calls  [opCount]atomic.Int64
}

var _ paseto.Store = (*FaultyStore)(nil)

// NewFaultyStore returns a FaultyStore over inner, with no fault set.
func NewFaultyStore(inner paseto.Store) *FaultyStore {
	if inner == nil {
		panic("pasetotest: NewFaultyStore(nil)")
	}
	return &FaultyStore{inner: inner}
}

// Set makes the operations ops fail with f from now on, or pass again
// with NoFault. Without ops it applies to every operation. Calls already
// waiting on a Hang keep waiting for their deadline.
func (s *FaultyStore) Set(f Fault, ops ...Op) {
	for i := range opCount {
		if mask(ops)&(1<<i) != 0 {
			s.faults[i].Store(uint32(f))
		}
	}
}

// Calls returns how many calls of the operations ops the store has had,
// failed ones included; without ops, of every operation.
func (s *FaultyStore) Calls(ops ...Op) int64 {
	var n int64
	for i := range opCount {
		if mask(ops)&(1<<i) != 0 {
			n += s.calls[i].Load()
		}
	}
	return n
}

// Unwrap returns the store behind s.
func (s *FaultyStore) Unwrap() paseto.Store { return s.inner }

func mask(ops []Op) Op {
	if len(ops) == 0 {
		return AllOps
	}
	var m Op
	for _, o := range ops {
		m |= o
	}
	return m
}

// bypassKey marks the kit's own calls in their context.
type bypassKey struct{}

// bypass returns ctx marked so that a FaultyStore passes its calls through
// uncounted.
func bypass(ctx context.Context) context.Context { return context.WithValue(ctx, bypassKey{}, true) }

// enter counts the call of operation i and returns its injected error, if
// any.
func (s *FaultyStore) enter(ctx context.Context, i int) error {
	if ctx.Value(bypassKey{}) != nil {
		return nil
	}
	s.calls[i].Add(1)
	switch Fault(s.faults[i].Load()) {
	case Unavailable:
		return fmt.Errorf("%w (%s)", ErrUnavailable, opNames[i])
	case Corrupt:
		return fmt.Errorf("%w (%s)", ErrCorrupt, opNames[i])
	case Hang:
		if _, ok := ctx.Deadline(); !ok {
			return fmt.Errorf("%w (%s)", ErrNoDeadline, opNames[i])
		}
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

const (
	iSessionLive = iota
	iCreateSession
	iRotate
	iListSessions
	iRevokeSession
	iRevokeOtherSessions
	iRevokeSubject
)

// SessionLive implements [paseto.Store].
func (s *FaultyStore) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	if err := s.enter(ctx, iSessionLive); err != nil {
		return false, err
	}
	return s.inner.SessionLive(ctx, subject, sid, now)
}

// CreateSession implements [paseto.Store].
func (s *FaultyStore) CreateSession(ctx context.Context, r paseto.SessionRecord) ([]string, error) {
	if err := s.enter(ctx, iCreateSession); err != nil {
		return nil, err
	}
	return s.inner.CreateSession(ctx, r)
}

// Rotate implements [paseto.Store].
func (s *FaultyStore) Rotate(ctx context.Context, r paseto.Rotation) (paseto.RotationResult, error) {
	if err := s.enter(ctx, iRotate); err != nil {
		return paseto.RotationResult{}, err
	}
	return s.inner.Rotate(ctx, r)
}

// ListSessions implements [paseto.Store].
func (s *FaultyStore) ListSessions(ctx context.Context, subject string, now time.Time) ([]paseto.SessionInfo, error) {
	if err := s.enter(ctx, iListSessions); err != nil {
		return nil, err
	}
	return s.inner.ListSessions(ctx, subject, now)
}

// RevokeSession implements [paseto.Store].
func (s *FaultyStore) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	if err := s.enter(ctx, iRevokeSession); err != nil {
		return false, err
	}
	return s.inner.RevokeSession(ctx, subject, sid, now)
}

// RevokeOtherSessions implements [paseto.Store].
func (s *FaultyStore) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	if err := s.enter(ctx, iRevokeOtherSessions); err != nil {
		return nil, err
	}
	return s.inner.RevokeOtherSessions(ctx, subject, keep, now)
}

// RevokeSubject implements [paseto.Store].
func (s *FaultyStore) RevokeSubject(ctx context.Context, subject string) error {
	if err := s.enter(ctx, iRevokeSubject); err != nil {
		return err
	}
	return s.inner.RevokeSubject(ctx, subject)
}
