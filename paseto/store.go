package paseto

import (
	"context"
	"time"
)

// Store keeps the server-side state of login sessions: one record per
// session (refresh-token family) and, per subject, a generation that "log
// out everywhere" replaces. Every method must be safe for concurrent use by
// many processes sharing the store (that is what the Redis store is for),
// and Rotate must be atomic per session.
//
// # Fail closed
//
// A store vouches for live sessions; it never lists what is denied. An
// access or refresh token is accepted only while its store positively
// reports the session live (SessionChecker). A record that is missing for
// any reason (never written, evicted, lost in a restart, expired) reads as
// "not live", so no loss of state can bring a revoked token back.
// Revocation therefore removes or marks records and never needs room: it
// cannot fail for want of memory. A subject's sessions are tied to its
// generation, so a lost generation ends every session of the subject
// instead of reviving one.
//
// # Deadlines
//
// Auth calls every method under a context with a deadline
// (Config.StoreTimeout). A store must return by then, and a write that
// reaches the store's server after that deadline must not be applied: the
// caller has already answered 503 and the client will retry with the token
// it holds.
//
// # What a store sees
//
// Stores never see tokens, only token IDs: the rotation bookkeeping uses
// hashes of refresh-token IDs, and the successor kept for the grace window is
// encrypted under a key derived from the presented token's ID, which the
// store does not hold.
//
// # Errors
//
// ErrRevoked for an unknown or revoked session, ErrSessionExpired for a
// session past its absolute or idle lifetime; anything else (a timeout, a
// corrupt record, a record of the wrong type) is treated as the store being
// unavailable and denies the request with 503.
type Store interface {
	SessionChecker

	// CreateSession records a new, live session under the subject's
	// current generation. With s.MaxSessions set, it first counts the
	// subject's live sessions, atomically with the insert: at the cap it
	// ends the oldest (by CreatedAt, then ID) until there is room and
	// returns their IDs, or, with s.RefuseAtMax, fails with
	// ErrSessionLimit and changes nothing.
	CreateSession(ctx context.Context, s SessionRecord) (ended []string, err error)
	// Rotate is the atomic refresh step; see Rotation.
	Rotate(ctx context.Context, r Rotation) (RotationResult, error)
	// ListSessions returns subject's sessions that are live at now, in no
	// particular order, at a cost in proportion to that subject's
	// sessions (never a scan of the whole store). Every session
	// SessionLive reports live is listed: listing is how a user finds a
	// device to sign out, so a session it misses must not be live.
	ListSessions(ctx context.Context, subject string, now time.Time) ([]SessionInfo, error)
	// RevokeSession ends one session of subject: none of its tokens is
	// accepted from then on. ended reports whether it was live at now and
	// is ended by this call; a session the store does not know (or no
	// longer knows), already ended, or of another subject gives false and
	// no error, and another subject's session is left as it is.
	RevokeSession(ctx context.Context, subject, sid string, now time.Time) (ended bool, err error)
	// RevokeOtherSessions ends every session of subject except keep,
	// atomically, and returns the IDs of those that were live at now.
	// Like RevokeSubject, it must hold for every session SessionLive would
	// accept, listed or not.
	RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) (ended []string, err error)
	// RevokeSubject ends every session of subject, typically by replacing
	// its generation, so that it holds even for sessions whose records the
	// store cannot enumerate. A session created after it returns is live.
	RevokeSubject(ctx context.Context, subject string) error
}

// SessionChecker is consulted by a Verifier (VerifierConfig.Sessions) after every
// other check has passed, on every request.
type SessionChecker interface {
	// SessionLive reports whether the store positively knows subject's
	// session sid as live at now: created, not revoked, not past its
	// absolute or idle end, and of the subject's current generation.
	// Anything it cannot vouch for is false. An error denies the request
	// with ErrStoreUnavailable. The stores in this module answer with one
	// lookup (one round trip on Redis, none for a session the Redis store's
	// opt-in live cache holds: a store may answer "live" from memory only
	// if a revocation made anywhere reaches it within a documented bound).
	SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error)
}

// SessionRecord is a new session as handed to Store.CreateSession.
type SessionRecord struct {
	ID      string // sid
	Subject string
	// Current is the hash of the session's only valid refresh-token ID.
	Current   string
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the session, whatever the refreshes.
	ExpiresAt time.Time
	// IdleTimeout ends the session when it is not refreshed for that long;
	// zero disables it.
	IdleTimeout time.Duration
	// Device is what the session is listed with, already bounded and
	// cleaned by Auth (see Device).
	Device Device
	// MaxSessions caps the subject's live sessions, this one included;
	// zero for no cap. RefuseAtMax chooses what happens at the cap: refuse
	// this session (ErrSessionLimit) rather than end the oldest.
	MaxSessions int
	RefuseAtMax bool
}

// SessionInfo describes one live session, as Store.ListSessions and
// Auth.ListSessions return it and the session list endpoint answers it.
type SessionInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is the session's last refresh, or its creation.
	LastUsedAt time.Time `json:"last_used_at"`
	// ExpiresAt is when the session ends unless it is used again: its
	// absolute end, or its idle end when that comes first.
	ExpiresAt time.Time `json:"expires_at"`
	Device
	// Current marks the session of the request that asked (Auth.ListSessions
	// sets it; stores leave it false).
	Current bool `json:"current"`
}

// Rotation asks a Store to rotate a session's refresh token, atomically:
//
//   - the session is unknown, revoked, of an old generation of its subject,
//     or of another subject: ErrRevoked;
//   - Now is past its ExpiresAt, or past its last rotation plus its idle
//     timeout: ErrSessionExpired;
//   - Presented is the current token: Successor becomes current, Presented
//     becomes the previous token, WrappedSuccessor (set only when Grace > 0)
//     is kept with it for Grace and no longer, and the result is Rotated;
//   - Presented is the previous token and Now is within Grace of its
//     rotation (Grace > 0): nothing changes and the result is Retried with
//     the kept WrappedSuccessor, so a client's retry gets the same successor
//     back;
//   - anything else is reuse: the session is revoked and the result is
//     Reused.
//
// A repeat of the same call (a reply lost on the way back) gives the same
// answer: Rotated for a rotation already applied with this very Successor,
// Reused for a reuse already detected by it.
type Rotation struct {
	Subject, Session string
	// Presented and Successor are hashes of refresh-token IDs.
	Presented, Successor string
	// WrappedSuccessor is what Auth needs to mint the successor again for
	// a retry (its ID and issue time), sealed for the holder of the
	// presented token: opaque to the store, which keeps it as given (83
	// bytes; earlier versions wrote the whole token, about 700). Empty
	// when Grace is zero: nothing can use it.
	WrappedSuccessor string
	Now              time.Time
	Grace            time.Duration
}

// RotationOutcome is what Store.Rotate did.
type RotationOutcome uint8

const (
	// Rotated: the presented token was current and has been replaced.
	Rotated RotationOutcome = iota + 1
	// Retried: the presented token is the one just replaced, within the grace
	// window; the kept successor is returned and nothing changes.
	Retried
	// Reused: a replaced token came back; the session is now revoked.
	Reused
)

// RotationResult is the answer of Store.Rotate.
type RotationResult struct {
	Outcome RotationOutcome
	// WrappedSuccessor is set for Retried.
	WrappedSuccessor string
}
