// Errors: the Error type, every sentinel of the package, and Code.

package paseto

import "errors"

// Error is a failure with a stable, machine-readable code. The sentinel values
// below are the only *Error values the package returns; they are usually
// wrapped with detail, so compare with errors.Is and read the code with Code.
//
// Codes put the condition first, then what it is about ("expired_token"),
// and use an RFC's code verbatim where one names the condition
// ("invalid_token", "insufficient_scope", "insufficient_user_authentication",
// "temporarily_unavailable", "server_error").
//
// A few sentinels refine another: ErrStoreFull, ErrStoreCorrupt and
// ErrKeysUnavailable are kinds of ErrStoreUnavailable, ErrCookieTooLarge
// of ErrConfig. A refinement has the code and the client
// message of the sentinel it refines, so clients are answered exactly as
// for that one and learn nothing more ("temporarily_unavailable", 503); errors.Is
// and the Error text tell them apart, for logs and metrics.
type Error struct {
	code   string // what clients are shown, with text
	text   string
	detail string // a refinement's own description, for Error only
	parent *Error // the sentinel this one refines, or nil
}

func (e *Error) Error() string {
	if e.detail != "" {
		return "paseto: " + e.text + ": " + e.detail
	}
	return "paseto: " + e.text
}

// Code returns the stable machine code, such as "expired_token". A
// refinement shares the code of the sentinel it refines.
func (e *Error) Code() string { return e.code }

// Unwrap returns the sentinel e refines (ErrStoreUnavailable for
// ErrStoreFull), or nil, so errors.Is(ErrStoreFull, ErrStoreUnavailable)
// holds.
func (e *Error) Unwrap() error {
	if e.parent == nil {
		return nil
	}
	return e.parent
}

func newError(code, text string) *Error { return &Error{code: code, text: text} }

// refine returns a sentinel that is a kind of parent: errors.Is matches
// both, and clients see parent's code and message.
func refine(parent *Error, detail string) *Error {
	return &Error{code: parent.code, text: parent.text, detail: detail, parent: parent}
}

// Token verification failures. A forged token is always reported as
// ErrInvalid (or ErrMalformed), never with a claim error such as ErrExpired:
// claims are only looked at after the cryptography has succeeded.
var (
	// ErrMissingToken means no token was presented.
	ErrMissingToken = newError("missing_token", "no token")
	// ErrMalformed means the token is not a well-formed v4 token of the
	// expected purpose: wrong header, bad encoding, wrong shape, oversize, or a
	// footer that breaks the footer rules.
	ErrMalformed = newError("malformed_token", "malformed token")
	// ErrInvalid means the token could not be authenticated: the tag or
	// signature did not verify, or its key ID is missing or unknown.
	ErrInvalid = newError("invalid_token", "invalid token")
	// ErrInvalidClaims means an authenticated token carries claims that break
	// the rules: missing exp, jti or type, a claim of the wrong JSON type,
	// duplicate keys, or a badly formatted time.
	ErrInvalidClaims = newError("invalid_claims", "invalid token claims")
	// ErrExpired means the token's exp is in the past (beyond the leeway).
	ErrExpired = newError("expired_token", "token has expired")
	// ErrNotYetValid means the token's nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = newError("not_yet_valid_token", "token is not valid yet")
	// ErrIssuer means the token's iss does not match the configured issuer.
	ErrIssuer = newError("wrong_issuer", "token has the wrong issuer")
	// ErrAudience means the token's aud does not match the configured audience.
	ErrAudience = newError("wrong_audience", "token has the wrong audience")
	// ErrWrongType means the token is of another type, such as a refresh
	// token presented where an access token is required.
	ErrWrongType = newError("wrong_token_type", "token has the wrong type")
	// ErrNotFresh means the route requires a fresh token (minted from a
	// credential check, recently enough) and this one is not.
	ErrNotFresh = newError("insufficient_user_authentication", "fresh token required")
	// ErrRevoked means the token's session is not live: ended (logout,
	// reuse, RevokeSubject), unknown to the store (absence means deny), or
	// the token belongs to no session.
	ErrRevoked = newError("revoked_token", "token has been revoked")
	// ErrInsufficientScope means the token authenticated but lacks a scope
	// the route requires (403, RFC 6750 §3.1).
	ErrInsufficientScope = newError("insufficient_scope", "token lacks the required scope")
)

// ErrCSRF means a token came from a cookie on an unsafe method without a
// matching CSRF token (403).
var ErrCSRF = newError("invalid_csrf_token", "CSRF token missing or invalid")

// Session failures.
var (
	// ErrRefreshReused means a refresh token that had already been exchanged
	// was presented again outside the grace window. The whole session has
	// been revoked: whoever holds its tokens must log in again.
	ErrRefreshReused = newError("reused_refresh_token", "refresh token reuse detected; session revoked")
	// ErrSessionExpired means the session passed its absolute or idle
	// lifetime.
	ErrSessionExpired = newError("expired_session", "session expired")
	// ErrRefreshDenied is the refusal of Config.OnRefresh: the application
	// no longer lets the session's user refresh (a disabled or banned
	// account, say). The hook wraps it; Auth.Refresh then ends the session
	// and returns it (401, error="invalid_token", code "denied_refresh"),
	// so whoever holds the session's tokens must log in again.
	ErrRefreshDenied = newError("denied_refresh", "refresh denied; session ended")
	// ErrSubjectMismatch means Auth.FreshLogin was given credentials of a
	// user other than the access token's subject (401 with a bare Bearer
	// challenge, no error: the token itself is fine).
	// Nothing is minted and the session is left as it was.
	ErrSubjectMismatch = newError("mismatched_subject", "credentials are not those of the token's subject")
	// ErrSessionNotFound means Auth.RevokeSession was given the ID of no
	// live session of the subject: unknown, already ended, or another
	// user's, which are not told apart (404, "unknown_session").
	ErrSessionNotFound = newError("unknown_session", "no such session")
	// ErrSessionLimit means a login was refused because the subject has
	// Config.MaxSessions live sessions and Config.AtMaxSessions is
	// RefuseNewSession (403, "too_many_sessions"). Nothing was created.
	ErrSessionLimit = newError("too_many_sessions", "too many sessions; sign out of another one first")
)

// Store failures. All of them deny the request (503): a store that cannot
// vouch for a session never lets it through.
var (
	// ErrStoreUnavailable means the session store could not
	// answer; the request is denied rather than allowed.
	ErrStoreUnavailable = newError("temporarily_unavailable", "session store unavailable")
	// ErrStoreFull means a MemoryStore reached MaxEntries and refused to
	// start a session rather than forget one. It is an ErrStoreUnavailable
	// (errors.Is reports both; its code is "temporarily_unavailable") and is
	// answered 503 like any store failure. Revocation never returns it: it
	// needs no room.
	ErrStoreFull = refine(ErrStoreUnavailable, "memory store is full")
	// ErrStoreCorrupt is what a store wraps when a record it reads is not
	// one it could have written: a field missing or malformed, or a key of
	// the wrong type. It is an ErrStoreUnavailable (errors.Is reports both;
	// its code is "temporarily_unavailable"): the request is denied with 503,
	// never allowed.
	ErrStoreCorrupt = refine(ErrStoreUnavailable, "corrupt record in the session store")
)

// Key set failures.
var (
	// ErrKeySet means a key set document was refused: malformed JSON,
	// duplicate members or key IDs, a kid that is not its key's ID, a key
	// that is not a k4.public key (a local or secret key, another version),
	// an unknown state, not exactly one current key, or oversize.
	ErrKeySet = newError("invalid_key_set", "invalid key set")
	// ErrKeysUnavailable means the verification keys could not be
	// obtained: a remote key set that cannot be fetched and whose last good
	// copy is too old to trust, or a key source that has never loaded. The
	// request is denied, never allowed. It is an ErrStoreUnavailable
	// (errors.Is reports both; its code is "temporarily_unavailable"), so
	// the Guard answers it as it answers any dependency that cannot vouch
	// for a token: 503 with Retry-After, not 401, because the client's token
	// may well be valid.
	ErrKeysUnavailable = refine(ErrStoreUnavailable, "verification keys unavailable")
)

// Key and configuration errors.
var (
	// ErrInvalidKey means key material has the wrong type, prefix, length or
	// encoding.
	ErrInvalidKey = newError("invalid_key", "invalid key")
	// ErrWeakKey means the key is well-formed but unsafe: an all-zero
	// symmetric key or seed, or a small-order Ed25519 public key.
	ErrWeakKey = newError("weak_key", "weak key refused")
	// ErrReservedClaim means a custom claim tried to use a name the package
	// manages itself, or one equal to it ignoring case (see ReservedClaims).
	ErrReservedClaim = newError("reserved_claim", "reserved claim name")
	// ErrClaimNotFound means a custom claim asked for is not in the token.
	ErrClaimNotFound = newError("missing_claim", "claim not found")
	// ErrConfig means an option or constructor argument is out of range.
	ErrConfig = newError("invalid_config", "invalid configuration")
	// ErrCookieTooLarge means a session cookie would pass the 4096 bytes
	// browsers keep, because the session's custom claims or scopes are too
	// large: [Guard.LoginWithCookies] refuses it (500) and ends the
	// session. It is a kind of ErrConfig.
	ErrCookieTooLarge = refine(ErrConfig, "session cookie larger than 4096 bytes")
)

// Code returns the machine code of the first *Error in err's chain, or
// "server_error" when err carries none. Code(nil) is "". A full or
// corrupt store gives "temporarily_unavailable", like any store failure.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return "server_error"
}
