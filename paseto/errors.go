package paseto

import "errors"

// Error is a failure with a stable, machine-readable code. The sentinel values
// below are the only *Error values the package returns; they are usually
// wrapped with detail, so compare with errors.Is and read the code with Code.
type Error struct {
	code string
	text string
}

func (e *Error) Error() string { return "paseto: " + e.text }

// Code returns the stable machine code, such as "token_expired".
func (e *Error) Code() string { return e.code }

func newError(code, text string) *Error { return &Error{code: code, text: text} }

// Token verification failures. A forged token is always reported as
// ErrInvalid (or ErrMalformed), never with a claim error such as ErrExpired:
// claims are only looked at after the cryptography has succeeded.
var (
	// ErrMissingToken means no token was presented.
	ErrMissingToken = newError("token_missing", "no token")
	// ErrMalformed means the token is not a well-formed v4 token of the
	// expected purpose: wrong header, bad encoding, wrong shape, oversize, or a
	// footer that breaks the footer rules.
	ErrMalformed = newError("token_malformed", "malformed token")
	// ErrInvalid means the token could not be authenticated: the tag or
	// signature did not verify, or its key ID is missing or unknown.
	ErrInvalid = newError("token_invalid", "invalid token")
	// ErrInvalidClaims means an authenticated token carries claims that break
	// the rules: missing exp, jti or type, a claim of the wrong JSON type,
	// duplicate keys, or a badly formatted time.
	ErrInvalidClaims = newError("token_claims_invalid", "invalid token claims")
	// ErrExpired means the token's exp is in the past (beyond the leeway).
	ErrExpired = newError("token_expired", "token has expired")
	// ErrNotYetValid means the token's nbf or iat is in the future (beyond the leeway).
	ErrNotYetValid = newError("token_not_yet_valid", "token is not valid yet")
	// ErrIssuer means the token's iss does not match the configured issuer.
	ErrIssuer = newError("token_wrong_issuer", "token has the wrong issuer")
	// ErrAudience means the token's aud does not match the configured audience.
	ErrAudience = newError("token_wrong_audience", "token has the wrong audience")
	// ErrWrongType means the token is of another type, such as a refresh
	// token presented where an access token is required.
	ErrWrongType = newError("token_wrong_type", "token has the wrong type")
	// ErrNotFresh means the route requires a fresh token (minted from a
	// credential check, recently enough) and this one is not.
	ErrNotFresh = newError("token_not_fresh", "fresh token required")
	// ErrRevoked means the token, or the session it belongs to, was revoked.
	ErrRevoked = newError("token_revoked", "token has been revoked")
	// ErrStoreUnavailable means the revocation or session store could not
	// answer; the request is denied rather than allowed.
	ErrStoreUnavailable = newError("store_unavailable", "session store unavailable")
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
	// manages itself (see ReservedClaims).
	ErrReservedClaim = newError("reserved_claim", "reserved claim name")
	// ErrClaimNotFound means a custom claim asked for is not in the token.
	ErrClaimNotFound = newError("claim_not_found", "claim not found")
	// ErrConfig means an option or constructor argument is out of range.
	ErrConfig = newError("invalid_config", "invalid configuration")
)

// Code returns the machine code of the first *Error in err's chain, or
// "internal_error" when err carries none. Code(nil) is "".
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return "internal_error"
}
