package paseto

import (
	"context"
	"time"
)

// Store keeps the server-side state of login sessions: one record per
// session (refresh-token family) and a deny list for access tokens. Every
// method must be safe for concurrent use by many processes sharing the store
// (that is what the Redis store is for), and Rotate must be atomic per
// session.
//
// Stores never see tokens, only token IDs: the rotation bookkeeping uses
// hashes of refresh-token IDs, and the successor kept for the grace window is
// encrypted under a key derived from the presented token's ID, which the
// store does not hold.
//
// Errors: ErrRevoked for an unknown or revoked session, ErrSessionExpired for
// a session past its absolute or idle lifetime; anything else is treated as
// the store being unavailable and denies the request.
type Store interface {
	RevocationChecker

	// CreateSession records a new session.
	CreateSession(ctx context.Context, s SessionRecord) error
	// Rotate is the atomic refresh step; see Rotation.
	Rotate(ctx context.Context, r Rotation) (RotationResult, error)
	// RevokeSession revokes one session: its refresh tokens at once, and its
	// access tokens (by sid) until denyUntil.
	RevokeSession(ctx context.Context, subject, sid string, denyUntil time.Time) error
	// RevokeSubject revokes every session of subject, as RevokeSession does.
	RevokeSubject(ctx context.Context, subject string, denyUntil time.Time) error
	// RevokeToken denies one token, by jti, until the given time.
	RevokeToken(ctx context.Context, subject, jti string, until time.Time) error
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
}

// Rotation asks a Store to rotate a session's refresh token, atomically:
//
//   - the session is unknown or revoked: ErrRevoked;
//   - Now is past its ExpiresAt, or past its last rotation plus its idle
//     timeout: ErrSessionExpired;
//   - Presented is the current token: Successor becomes current, Presented
//     becomes the previous token, WrappedSuccessor is kept with it, and the
//     result is Rotated;
//   - Presented is the previous token and Now is within Grace of its
//     rotation (Grace > 0): nothing changes and the result is Retried with the kept
//     WrappedSuccessor, so a client's retry gets the same successor back;
//   - anything else is reuse: the session is revoked, its access tokens are
//     denied until DenyUntil, and the result is Reused.
type Rotation struct {
	Subject, Session string
	// Presented and Successor are hashes of refresh-token IDs.
	Presented, Successor string
	// WrappedSuccessor is the successor token, encrypted for the holder of
	// the presented token.
	WrappedSuccessor string
	Now              time.Time
	Grace            time.Duration
	DenyUntil        time.Time
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
