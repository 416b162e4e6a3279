// Store calls as Auth makes them: under a deadline, with failures logged
// and mapped to the package's sentinels.

package paseto

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"
)

// boundedStore is the Store as Auth calls it: every call runs under a
// deadline (Config.StoreTimeout) and every failure is logged, at most once
// per operation and kind of failure every storeLogInterval, with the
// operation and the kind of error only (never claims, token IDs or the error text, which may quote
// keys or addresses).
//
// The MemoryStore never waits on anything but its own short critical
// sections, so its calls skip the timer: a context deadline could not make
// them return sooner.
type boundedStore struct {
	Store
	timeout time.Duration
	bounded bool // false for the MemoryStore
	logger  *slog.Logger
	obs     Observer // Config.Observer, or nil
	ops     [opCount][kindCount]opLog
}

type storeOp uint8

const (
	opSessionLive storeOp = iota
	opCreateSession
	opRotate
	opRevokeSession
	opRevokeSubject
	opListSessions
	opRevokeOtherSessions
	opCount
)

var opNames = [opCount]string{"session_live", "create_session", "rotate", "revoke_session", "revoke_subject",
	"list_sessions", "revoke_other_sessions"}

// storeLogInterval spaces the failure lines of one operation and kind, so an outage
// under load writes a line every few seconds, not one per request.
const storeLogInterval = 10 * time.Second

// opLog rate-limits the failure lines of one operation and kind.
type opLog struct {
	next       atomic.Int64 // unix ns before which lines are suppressed
	suppressed atomic.Int64
}

func newBoundedStore(s Store, timeout time.Duration, logger *slog.Logger, obs Observer) *boundedStore {
	_, mem := s.(*MemoryStore)
	return &boundedStore{Store: s, timeout: timeout, bounded: !mem, logger: logger, obs: obs}
}

func (b *boundedStore) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	call := b.begin(ctx, opSessionLive)
	live, err := b.Store.SessionLive(call.ctx, subject, sid, now)
	b.end(ctx, &call, err)
	return live, err
}

func (b *boundedStore) CreateSession(ctx context.Context, s SessionRecord) ([]string, error) {
	call := b.begin(ctx, opCreateSession)
	ended, err := b.Store.CreateSession(call.ctx, s)
	b.end(ctx, &call, err)
	return ended, err
}

func (b *boundedStore) Rotate(ctx context.Context, r Rotation) (RotationResult, error) {
	call := b.begin(ctx, opRotate)
	res, err := b.Store.Rotate(call.ctx, r)
	b.end(ctx, &call, err)
	return res, err
}

func (b *boundedStore) ListSessions(ctx context.Context, subject string, now time.Time) ([]SessionInfo, error) {
	call := b.begin(ctx, opListSessions)
	list, err := b.Store.ListSessions(call.ctx, subject, now)
	b.end(ctx, &call, err)
	return list, err
}

func (b *boundedStore) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	call := b.begin(ctx, opRevokeSession)
	ended, err := b.Store.RevokeSession(call.ctx, subject, sid, now)
	b.end(ctx, &call, err)
	return ended, err
}

func (b *boundedStore) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	call := b.begin(ctx, opRevokeOtherSessions)
	ended, err := b.Store.RevokeOtherSessions(call.ctx, subject, keep, now)
	b.end(ctx, &call, err)
	return ended, err
}

func (b *boundedStore) RevokeSubject(ctx context.Context, subject string) error {
	call := b.begin(ctx, opRevokeSubject)
	err := b.Store.RevokeSubject(call.ctx, subject)
	b.end(ctx, &call, err)
	return err
}

// check logs err when it is a store failure. The session answers
// (ErrRevoked, ErrSessionExpired) are not failures, nor is a request whose
// client went away.
func (b *boundedStore) check(ctx context.Context, op storeOp, err error) {
	if err == nil || errors.Is(err, ErrRevoked) || errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrSessionLimit) || ctx.Err() != nil {
		return
	}
	kind := failureKindOf(err)
	l := &b.ops[op][kind]
	now := time.Now().UnixNano()
	next := l.next.Load()
	if now < next || !l.next.CompareAndSwap(next, now+int64(storeLogInterval)) {
		l.suppressed.Add(1)
		return
	}
	b.logger.LogAttrs(ctx, slog.LevelError, LogMsgStoreFailure,
		slog.String(LogKeyOperation, opNames[op]), slog.String(LogKeyErrorKind, kindNames[kind]),
		slog.Int64(LogKeySuppressed, l.suppressed.Swap(0)))
}

// Kinds of store failure, for logs and the Observer.
type failureKindID uint8

const (
	kindTimeout failureKindID = iota
	kindNetwork
	kindFull
	kindCorrupt
	kindError
	kindCount
)

var kindNames = [kindCount]string{"timeout", "network", "full", "corrupt", "error"}

// failureKind names the kind of a store failure without its text.
func failureKind(err error) string { return kindNames[failureKindOf(err)] }

func failureKindOf(err error) failureKindID {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.Is(err, ErrStoreFull):
		return kindFull
	case errors.Is(err, ErrStoreCorrupt):
		return kindCorrupt
	case errors.As(err, &ne):
		return kindNetwork
	}
	return kindError
}

// storeError keeps the session sentinels and turns anything else a store
// returns into ErrStoreUnavailable.
func storeError(err error) error {
	if err == nil || errors.Is(err, ErrRevoked) || errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrSessionLimit) || errors.Is(err, ErrStoreUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

// isStoreError reports a store failure (ErrStoreFull and ErrStoreCorrupt
// are kinds of ErrStoreUnavailable).
func isStoreError(err error) bool {
	return errors.Is(err, ErrStoreUnavailable)
}
