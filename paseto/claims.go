// Claims: the registered claim names, the token types, and reading custom
// claims from a verified token. Their JSON form is in claims_json.go.

package paseto

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// Names of the claims the package manages. Custom claims may not use them.
const (
	ClaimIssuer     = "iss"
	ClaimSubject    = "sub"
	ClaimAudience   = "aud"
	ClaimExpiration = "exp"
	ClaimNotBefore  = "nbf"
	ClaimIssuedAt   = "iat"
	ClaimTokenID    = "jti"
	ClaimType       = "type"
	ClaimFresh      = "fresh"
	ClaimAuthTime   = "auth_time"
	ClaimSession    = "sid"
	ClaimScope      = "scope"
	ClaimCSRF       = "csrf"
)

// Token types minted by this module. Custom types (such as "email_confirm")
// go through the same Issuer and Verifier.
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
)

// ReservedClaims returns the names of the claims the package manages, in a
// fresh slice the caller may keep or change. A custom claim may not use any
// of them, nor any name equal to one of them ignoring case (Issue refuses
// both with ErrReservedClaim).
func ReservedClaims() []string { return slices.Clone(reservedNames[:]) }

// reservedNames is the policy ReservedClaims reports; an array, so nothing
// outside this file can change it.
var reservedNames = [...]string{
	ClaimIssuer, ClaimSubject, ClaimAudience, ClaimExpiration, ClaimNotBefore,
	ClaimIssuedAt, ClaimTokenID, ClaimType, ClaimFresh, ClaimAuthTime,
	ClaimSession, ClaimScope, ClaimCSRF,
}

// reserved reports whether name is a reserved claim name, exactly.
func reserved(name string) bool { return slices.Contains(reservedNames[:], name) }

// reservedFold reports whether name equals a reserved claim name ignoring
// case. The verifier refuses a payload with two keys equal ignoring case,
// so a custom "EXP" next to the registered "exp" could never verify.
func reservedFold(name string) bool {
	for _, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// Claims are the verified contents of a token. Times are UTC. Custom claims
// are read with Get, Has, Custom or the generic Claim function, only from a
// payload that passed the strict claims parser (see Verifier): no object in
// it, at any depth, has two keys equal ignoring case, and every string is
// valid UTF-8. So encoding/json, which matches keys to struct fields
// ignoring case, can never merge two keys into one field.
type Claims struct {
	Issuer     string    // iss
	Subject    string    // sub: the user
	Audience   string    // aud
	ID         string    // jti: random, unique per token
	Type       string    // type: "access", "refresh" or a custom type
	Session    string    // sid: the login session (refresh-token family)
	IssuedAt   time.Time // iat
	NotBefore  time.Time // nbf
	Expiration time.Time // exp
	// Fresh is true only for access tokens minted straight from a credential
	// check; tokens minted by refresh are never fresh.
	Fresh bool
	// AuthTime is when the user last presented credentials; refresh keeps it.
	// Zero when the token does not carry auth_time.
	AuthTime time.Time
	// Scopes are the granted scopes (the space-separated scope claim).
	Scopes []string
	// CSRF is the SHA-256 (base64url) of the session's double-submit CSRF
	// value; set only for sessions carried in cookies.
	CSRF string

	payload   []byte // the authenticated JSON, for custom claims
	hasCustom bool   // payload has a claim that is not registered
}

// Has reports whether the token carries the custom claim name.
func (c *Claims) Has(name string) bool {
	_, ok := c.custom(name)
	return ok
}

// Get decodes the custom claim name into dst, which must be a pointer as for
// json.Unmarshal. name is matched exactly. It returns ErrClaimNotFound when
// the claim is absent. Struct fields are matched as encoding/json matches
// them (ignoring case), but since a verified payload has no keys equal
// ignoring case, only one key can fill a field.
func (c *Claims) Get(name string, dst any) error {
	raw, ok := c.custom(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrClaimNotFound, name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("paseto: claim %q: %w", name, err)
	}
	return nil
}

// Custom returns every custom claim as raw JSON, keyed by name, in a map
// the caller owns.
func (c *Claims) Custom() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	if c == nil {
		return out
	}
	err := strictjson.Object(c.payload, payloadLimits, func(k []byte, v strictjson.Value) error {
		if !reserved(string(k)) {
			out[string(k)] = append(json.RawMessage(nil), v.Raw...)
		}
		return nil
	})
	if err != nil {
		clear(out)
	}
	return out
}

// Claim returns the custom claim name decoded as a T, so callers never type
// assert: Claim[string](c, "role"), Claim[[]string](c, "groups").
func Claim[T any](c *Claims, name string) (T, error) {
	var v T
	err := c.Get(name, &v)
	return v, err
}

// custom finds the custom claim name. The payload is re-scanned with the
// strict parser, so a Claims whose payload the parser would refuse (none is
// ever built) yields no claims at all.
func (c *Claims) custom(name string) (json.RawMessage, bool) {
	if c == nil || reserved(name) {
		return nil, false
	}
	var found json.RawMessage
	_ = strictjson.Object(c.payload, payloadLimits, func(k []byte, v strictjson.Value) error {
		if string(k) == name {
			found = v.Raw
		}
		return nil
	})
	return found, found != nil
}
