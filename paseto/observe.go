// Observation: the Observer an Auth reports to (Config.Observer), for
// metrics and traces, and the bookkeeping that calls it. Unset, each
// reporting point costs one nil check.

package paseto

import (
	"context"
	"errors"
	"time"
)

// Observer is told what an Auth does, for metrics and traces. Package
// paseto/otelpaseto implements it on OpenTelemetry; set it as
// Config.Observer. When it is nil, nothing is measured and the verify path
// makes no extra allocation.
//
// # What it receives
//
// Verification outcomes by stable error code, lookups in the
// verified-token cache, and the start and end of each login, refresh,
// fresh login, logout and revocation and of each store call, with the
// outcome, the error code or kind and the duration. Security events
// ([SecurityEvent]) are passed on too, with their subject and session,
// for audit trails; everything else carries no subject. Nothing it
// receives holds a token, a key or a CSRF value.
//
// # Contract
//
// The methods are called on the request's goroutine, inside the request:
// they must be safe for concurrent use, fast, and must not block (a slow
// exporter belongs behind a queue). They must not panic. Begin's context
// is the one the operation then runs under, so a span started there is the
// parent of the operation's store calls; End receives it back.
type Observer interface {
	// Verified reports one access-token verification by the Auth
	// (Guard.Authenticate, Auth.VerifyAccess): code is "" when the token
	// was accepted, else the error's Code, such as "expired_token",
	// "revoked_token" or "temporarily_unavailable".
	Verified(ctx context.Context, code string)
	// CacheLookup reports one lookup in the verified-token cache
	// (Config.CacheSize > 0): a hit skipped decoding and cryptography.
	CacheLookup(ctx context.Context, hit bool)
	// Begin is called as op starts and returns the context op runs
	// under. It is not called for a call to the MemoryStore (see End).
	Begin(ctx context.Context, op Operation) context.Context
	// End reports how the operation begun with Begin ended; ctx is the
	// context Begin returned. A call to the MemoryStore, which answers
	// in-process in well under a microsecond, is reported to End alone,
	// with Timed false and the caller's context: counted, but neither
	// timed nor given a span of its own.
	End(ctx context.Context, ev OperationEvent)
	// Security reports a security event, after it is logged and before
	// Config.OnSecurityEvent is called.
	Security(ctx context.Context, ev SecurityEvent)
}

// Operation is what an Auth reports to Observer.Begin and Observer.End: an
// operation of the Auth, or a call it makes to the Store.
type Operation uint8

// Operations of the Auth.
const (
	OpLogin               Operation = iota + 1 // Auth.Login
	OpRefresh                                  // Auth.Refresh, explicit or implicit
	OpFreshLogin                               // Auth.FreshLogin
	OpLogout                                   // Auth.Logout
	OpRevokeSession                            // Auth.RevokeSession
	OpRevokeOtherSessions                      // Auth.RevokeOtherSessions
	OpRevokeSubject                            // Auth.RevokeSubject

	// Calls to the Store, in the order of storeOp.

	OpStoreSessionLive         // Store.SessionLive
	OpStoreCreateSession       // Store.CreateSession
	OpStoreRotate              // Store.Rotate
	OpStoreRevokeSession       // Store.RevokeSession
	OpStoreRevokeSubject       // Store.RevokeSubject
	OpStoreListSessions        // Store.ListSessions
	OpStoreRevokeOtherSessions // Store.RevokeOtherSessions
	opEnd
)

var operationNames = [opEnd]string{"", "login", "refresh", "fresh_login", "logout", "revoke_session",
	"revoke_other_sessions", "revoke_subject"}

// String returns the operation's stable name: "login", "refresh",
// "fresh_login", "logout", "revoke_session", "revoke_other_sessions",
// "revoke_subject", or for a store call the method in snake case
// ("session_live", "create_session", "rotate", "revoke_session",
// "revoke_subject", "list_sessions", "revoke_other_sessions"). Store calls
// and operations of the Auth share names; StoreCall tells them apart.
func (o Operation) String() string {
	switch {
	case o.StoreCall():
		return opNames[o-OpStoreSessionLive]
	case o > 0 && o < OpStoreSessionLive:
		return operationNames[o]
	}
	return "unknown"
}

// StoreCall reports whether o is a call to the Store.
func (o Operation) StoreCall() bool { return o >= OpStoreSessionLive && o < opEnd }

// Outcomes of an operation (OperationEvent.Outcome).
const (
	// OutcomeOK: the operation did what was asked.
	OutcomeOK = "ok"
	// OutcomeRotated: a refresh rotated the refresh token.
	OutcomeRotated = "rotated"
	// OutcomeRetried: a refresh presented the token just replaced, within
	// Config.GracePeriod, and received the same successor.
	OutcomeRetried = "retried"
	// OutcomeReused: a refresh presented a replaced token outside the grace
	// window; the session was revoked (ErrRefreshReused).
	OutcomeReused = "reused"
	// OutcomeDenied: Config.OnRefresh refused; the session was ended
	// (ErrRefreshDenied).
	OutcomeDenied = "denied"
	// OutcomeRefused: a login refused at Config.MaxSessions
	// (ErrSessionLimit).
	OutcomeRefused = "refused"
	// OutcomeRejected: the token or the claims presented were not accepted
	// (expired, revoked, another subject's credentials…); Code says why.
	OutcomeRejected = "rejected"
	// OutcomeNotFound: RevokeSession named no live session of the subject
	// (ErrSessionNotFound).
	OutcomeNotFound = "not_found"
	// OutcomeUnavailable: the store failed or timed out; the request was
	// answered 503 (ErrStoreUnavailable). For a store call, Kind says how.
	OutcomeUnavailable = "unavailable"
	// OutcomeCanceled: the caller's context ended first (the client went
	// away); not a failure of the store.
	OutcomeCanceled = "canceled"
	// OutcomeError: anything else, such as a configuration error or a
	// failing OnRefresh hook (500).
	OutcomeError = "error"
)

// OperationEvent is what Observer.End receives.
type OperationEvent struct {
	Op Operation
	// Outcome is one of the Outcome constants.
	Outcome string
	// Code is the error's Code when the operation failed ("" otherwise).
	// For a store call it is the Code the caller sees:
	// "temporarily_unavailable" for a failure, or a session answer such
	// as "revoked_token" or "too_many_sessions", which is an OutcomeOK
	// call.
	Code string
	// Kind is the kind of store failure for OutcomeUnavailable: "timeout",
	// "network", "full", "corrupt" or "error". Empty otherwise.
	Kind string
	// Duration is the wall-clock time between Begin and End, when Timed.
	Duration time.Duration
	// Timed is true for every operation of the Auth and for calls to
	// stores other than the MemoryStore, which Begin was called for. A
	// MemoryStore call answers in-process in well under a microsecond: it
	// is reported to End alone, without a duration, which would cost more
	// to take than the call itself.
	Timed bool
}

// observeCache reports a lookup in v's cache, when v has an observer.
func (v *Verifier) observeCache(ctx context.Context, miss bool) {
	if o := v.settings.observer; o != nil {
		o.CacheLookup(ctx, !miss)
	}
}

// observeVerify reports an access-token verification that ended with err.
// Small enough to be inlined: unset, it is one nil check.
func (a *Auth) observeVerify(ctx context.Context, err error) {
	if a.cfg.Observer != nil {
		a.reportVerify(ctx, err)
	}
}

func (a *Auth) reportVerify(ctx context.Context, err error) {
	if err == nil {
		a.cfg.Observer.Verified(ctx, "")
		return
	}
	a.cfg.Observer.Verified(ctx, Code(err))
}

// opRun is one operation of the Auth under observation: begin it, defer
// its end with the named error result, and set outcome where the error
// alone does not tell it (a grace retry).
type opRun struct {
	obs     Observer
	ctx     context.Context
	op      Operation
	start   time.Time
	outcome string
}

// begin starts op and returns the context it runs under. Without an
// Observer it returns ctx and an opRun whose end does nothing.
func (a *Auth) begin(ctx context.Context, op Operation) (context.Context, *opRun) {
	o := a.cfg.Observer
	if o == nil {
		return ctx, nil
	}
	ctx = o.Begin(ctx, op)
	return ctx, &opRun{obs: o, ctx: ctx, op: op, start: time.Now()}
}

// end reports the operation's outcome; *errp is its error.
func (r *opRun) end(errp *error) {
	if r == nil {
		return
	}
	err := *errp
	ev := OperationEvent{Op: r.op, Outcome: r.outcome, Duration: time.Since(r.start), Timed: true}
	if err != nil {
		ev.Code = Code(err)
		ev.Outcome = operationOutcome(r.ctx, err)
		if ev.Outcome == OutcomeUnavailable {
			ev.Kind = failureKind(err)
		}
	} else if ev.Outcome == "" {
		ev.Outcome = OutcomeOK
		if r.op == OpRefresh {
			ev.Outcome = OutcomeRotated
		}
	}
	r.obs.End(r.ctx, ev)
}

// setOutcome records an outcome the error alone does not tell.
func (r *opRun) setOutcome(outcome string) {
	if r != nil {
		r.outcome = outcome
	}
}

// operationOutcome classifies the error an operation of the Auth ended
// with.
func operationOutcome(ctx context.Context, err error) string {
	switch {
	case isStoreError(err):
		if ctx.Err() != nil {
			return OutcomeCanceled
		}
		return OutcomeUnavailable
	case errors.Is(err, ErrRefreshReused):
		return OutcomeReused
	case errors.Is(err, ErrRefreshDenied):
		return OutcomeDenied
	case errors.Is(err, ErrSessionLimit):
		return OutcomeRefused
	case errors.Is(err, ErrSessionNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrConfig), Code(err) == "server_error":
		return OutcomeError
	}
	return OutcomeRejected
}

// storeCall is one call through a boundedStore: ctx is what the Store
// receives (under the deadline, and under the Observer's context).
type storeCall struct {
	ctx    context.Context
	cancel context.CancelFunc
	octx   context.Context // what Begin returned, or the caller's context
	op     storeOp
	start  time.Time
}

// begin starts a store call: the deadline, and the Observer's Begin. Small
// enough to be inlined: a MemoryStore without an Observer costs nothing
// more.
func (b *boundedStore) begin(ctx context.Context, op storeOp) storeCall {
	if !b.bounded {
		return storeCall{ctx: ctx, octx: ctx, op: op} // the MemoryStore: no Begin
	}
	return b.beginFull(ctx, op)
}

func (b *boundedStore) beginFull(ctx context.Context, op storeOp) storeCall {
	c := storeCall{ctx: ctx, octx: ctx, op: op}
	if b.obs != nil {
		c.octx = b.obs.Begin(ctx, OpStoreSessionLive+Operation(op))
		c.start = time.Now()
	}
	c.ctx, c.cancel = context.WithTimeout(c.octx, b.timeout)
	return c
}

// end finishes a store call that returned err: it releases the deadline,
// logs a failure (rate-limited) and reports the call to the Observer. ctx
// is the caller's context.
func (b *boundedStore) end(ctx context.Context, c *storeCall, err error) {
	if c.cancel != nil || err != nil || b.obs != nil {
		b.endFull(ctx, c, err)
	}
}

func (b *boundedStore) endFull(ctx context.Context, c *storeCall, err error) {
	if c.cancel != nil {
		c.cancel()
	}
	if err != nil {
		b.check(ctx, c.op, err)
	}
	if b.obs != nil {
		b.report(ctx, c, err)
	}
}

// report tells the Observer how the store call c ended.
func (b *boundedStore) report(ctx context.Context, c *storeCall, err error) {
	ev := OperationEvent{Op: OpStoreSessionLive + Operation(c.op), Outcome: OutcomeOK, Timed: b.bounded}
	if ev.Timed {
		ev.Duration = time.Since(c.start)
	}
	if err != nil {
		ev.Code = Code(storeError(err))
		if storeFailure(err) {
			ev.Outcome, ev.Kind = OutcomeUnavailable, failureKind(err)
			if ctx.Err() != nil {
				ev.Outcome, ev.Kind = OutcomeCanceled, ""
			}
		}
	}
	b.obs.End(c.octx, ev)
}

// storeFailure reports whether a store's err is a failure rather than a
// session answer (ErrRevoked, ErrSessionExpired, ErrSessionLimit).
func storeFailure(err error) bool {
	return err != nil && !errors.Is(err, ErrRevoked) && !errors.Is(err, ErrSessionExpired) && !errors.Is(err, ErrSessionLimit)
}
