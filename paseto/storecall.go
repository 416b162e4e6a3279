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
// per operation every storeLogInterval, with the operation and the kind of
// error only (never claims, token IDs or the error text, which may quote
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
	ops     [opCount]opLog
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

// storeLogInterval spaces the failure lines of one operation, so an outage
// under load writes a line every few seconds, not one per request.
const storeLogInterval = 10 * time.Second

// opLog rate-limits the failure lines of one operation.
type opLog struct {
	next       atomic.Int64 // unix ns before which lines are suppressed
	suppressed atomic.Int64
}

func newBoundedStore(s Store, timeout time.Duration, logger *slog.Logger) *boundedStore {
	_, mem := s.(*MemoryStore)
	return &boundedStore{Store: s, timeout: timeout, bounded: !mem, logger: logger}
}

func (b *boundedStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if !b.bounded {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, b.timeout)
}

func (b *boundedStore) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	bctx, cancel := b.bound(ctx)
	live, err := b.Store.SessionLive(bctx, subject, sid, now)
	cancel()
	b.check(ctx, opSessionLive, err)
	return live, err
}

func (b *boundedStore) CreateSession(ctx context.Context, s SessionRecord) ([]string, error) {
	bctx, cancel := b.bound(ctx)
	ended, err := b.Store.CreateSession(bctx, s)
	cancel()
	b.check(ctx, opCreateSession, err)
	return ended, err
}

func (b *boundedStore) Rotate(ctx context.Context, r Rotation) (RotationResult, error) {
	bctx, cancel := b.bound(ctx)
	res, err := b.Store.Rotate(bctx, r)
	cancel()
	b.check(ctx, opRotate, err)
	return res, err
}

func (b *boundedStore) ListSessions(ctx context.Context, subject string, now time.Time) ([]SessionInfo, error) {
	bctx, cancel := b.bound(ctx)
	list, err := b.Store.ListSessions(bctx, subject, now)
	cancel()
	b.check(ctx, opListSessions, err)
	return list, err
}

func (b *boundedStore) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	bctx, cancel := b.bound(ctx)
	ended, err := b.Store.RevokeSession(bctx, subject, sid, now)
	cancel()
	b.check(ctx, opRevokeSession, err)
	return ended, err
}

func (b *boundedStore) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	bctx, cancel := b.bound(ctx)
	ended, err := b.Store.RevokeOtherSessions(bctx, subject, keep, now)
	cancel()
	b.check(ctx, opRevokeOtherSessions, err)
	return ended, err
}

func (b *boundedStore) RevokeSubject(ctx context.Context, subject string) error {
	bctx, cancel := b.bound(ctx)
	err := b.Store.RevokeSubject(bctx, subject)
	cancel()
	b.check(ctx, opRevokeSubject, err)
	return err
}

// check logs err when it is a store failure. The session answers
// (ErrRevoked, ErrSessionExpired) are not failures, nor is a request whose
// client went away.
func (b *boundedStore) check(ctx context.Context, op storeOp, err error) {
	if err == nil || errors.Is(err, ErrRevoked) || errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrSessionLimit) || ctx.Err() != nil {
		return
	}
	l := &b.ops[op]
	now := time.Now().UnixNano()
	next := l.next.Load()
	if now < next || !l.next.CompareAndSwap(next, now+int64(storeLogInterval)) {
		l.suppressed.Add(1)
		return
	}
	b.logger.LogAttrs(ctx, slog.LevelError, "pasetoauth: session store failed; requests are answered 503",
		slog.String("op", opNames[op]), slog.String("kind", failureKind(err)),
		slog.Int64("suppressed", l.suppressed.Swap(0)))
}

// failureKind names the kind of a store failure without its text.
func failureKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, ErrStoreFull):
		return "full"
	case errors.Is(err, ErrStoreCorrupt):
		return "corrupt"
	case errors.As(err, &ne):
		return "network"
	}
	return "error"
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
