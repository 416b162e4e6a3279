package paseto

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
	v4 "github.com/pasetoauth/pasetoauth/paseto/internal/v4"
)

// Issuer mints tokens of one type under the current key of a KeyRing. Build
// it once; it is safe for concurrent use.
type Issuer struct {
	keys     atomic.Pointer[KeyRing] // swapped by SetKeys
	typ      string
	settings settings
}

// NewIssuer returns an Issuer for tokens of tokenType ("access", "refresh"
// or a custom type), configured by cfg (the zero IssuerConfig for the
// defaults).
func NewIssuer(keys *KeyRing, tokenType string, cfg IssuerConfig) (*Issuer, error) {
	if keys == nil || !keys.CanIssue() {
		return nil, fmt.Errorf("%w: key ring cannot mint tokens (verify-only or nil)", ErrConfig)
	}
	if tokenType == "" || !utf8.ValidString(tokenType) {
		return nil, fmt.Errorf("%w: token type required", ErrConfig)
	}
	s, err := cfg.settings(tokenType)
	if err != nil {
		return nil, err
	}
	i := &Issuer{typ: tokenType, settings: s}
	i.keys.Store(keys)
	return i, nil
}

// Template describes a token to mint. The Issuer adds jti, iat, nbf, exp,
// type and, when configured, iss and aud.
type Template struct {
	// Subject identifies the user (sub). Required.
	Subject string
	// Fresh marks a token minted right after the user presented credentials.
	// Never set it when minting from a refresh token.
	Fresh bool
	// AuthTime is when the user presented credentials. Zero means now for a
	// fresh token and "not recorded" otherwise.
	AuthTime time.Time
	// Session is the login session (refresh-token family) the token belongs
	// to, written as sid.
	Session string
	// Scopes are written as the space-separated scope claim; each must be
	// an RFC 6749 scope-token (printable ASCII, no space, quote or backslash).
	Scopes []string
	// CSRF is the hash of a double-submit CSRF value (see Guard); empty for
	// tokens not carried in cookies.
	CSRF string
	// Lifetime overrides the Issuer's lifetime when positive.
	Lifetime time.Duration
	// NotAfter, when set, caps exp: the token expires at NotAfter if that
	// comes before the end of its lifetime (a session's absolute end, say),
	// but never less than a second after it is issued.
	NotAfter time.Time
	// Claims are custom claims, marshalled with encoding/json. Names in
	// ReservedClaims, or equal to one ignoring case, are refused with
	// ErrReservedClaim. Claims the Verifier would refuse are refused here,
	// with ErrConfig: names or object keys (at any depth) equal ignoring
	// case, such as "role" and "ROLE", more than a Verifier's member or
	// depth bounds.
	Claims map[string]any
}

// Issue mints a token and returns it with its claims.
func (i *Issuer) Issue(t Template) (string, *Claims, error) {
	if i == nil {
		return "", nil, errVerifyOnly
	}
	return i.issue(t, newTokenID(), i.settings.now())
}

// issue is Issue with the token's ID and issue time (iat, nbf, truncated
// to the second) given rather than drawn and read from the clock:
// Auth.Refresh mints a successor at the instant it clamps auth_time to,
// and mints it again, with the same ID and issue time, for a retry within
// the grace window.
func (i *Issuer) issue(t Template, id string, now time.Time) (string, *Claims, error) {
	if t.Subject == "" {
		return "", nil, fmt.Errorf("%w: subject required", ErrConfig)
	}
	now = now.UTC().Truncate(time.Second)
	life := i.settings.lifetime
	if t.Lifetime > 0 {
		life = t.Lifetime
	}
	if life < time.Second {
		return "", nil, fmt.Errorf("%w: lifetime %v shorter than a second", ErrConfig, life)
	}
	c := &Claims{
		Issuer:     i.settings.issuer,
		Subject:    t.Subject,
		Audience:   i.settings.audience,
		ID:         id,
		Type:       i.typ,
		Session:    t.Session,
		IssuedAt:   now,
		NotBefore:  now,
		Expiration: capExpiry(now, now.Add(life.Truncate(time.Second)), t.NotAfter),
		Fresh:      t.Fresh,
		AuthTime:   t.AuthTime.UTC().Truncate(time.Second),
	}
	if t.Fresh && t.AuthTime.IsZero() {
		c.AuthTime = now
	}
	if len(t.Scopes) > 0 {
		c.Scopes = slices.Clone(t.Scopes)
	}
	c.CSRF = t.CSRF
	if c.AuthTime.After(now) {
		return "", nil, fmt.Errorf("%w: auth time in the future", ErrConfig)
	}
	payload, err := c.appendJSON(make([]byte, 0, 256), t.Claims)
	if err != nil {
		return "", nil, err
	}
	if len(t.Claims) > 0 {
		// The registered claims are written by this package and pass by
		// construction; custom values come from encoding/json, which writes
		// keys that differ only in case (a map, or a struct with such
		// tags) and json.RawMessage as given. Refuse here what the
		// Verifier would refuse, so no token is minted that cannot verify.
		if err := strictjson.Object(payload, payloadLimits, nil); err != nil {
			return "", nil, fmt.Errorf("%w: custom claims would not verify: %w", ErrConfig, err)
		}
	}
	c.payload = payload
	tok := i.seal(payload)
	if len(tok) > i.settings.maxSize {
		// Custom claims too large (from LoginOptions or Config.OnRefresh):
		// a verifier with the same cap would refuse the token unread.
		return "", nil, fmt.Errorf("%w: token of %d bytes exceeds the %d-byte cap (IssuerConfig.MaxTokenSize)", ErrConfig, len(tok), i.settings.maxSize)
	}
	return tok, c, nil
}

// capExpiry returns exp, or notAfter (in whole seconds) when it is set and
// earlier, but at least a second after now.
func capExpiry(now, exp, notAfter time.Time) time.Time {
	if notAfter.IsZero() {
		return exp
	}
	notAfter = notAfter.UTC().Truncate(time.Second)
	if notAfter.Before(exp) {
		exp = notAfter
	}
	if earliest := now.Add(time.Second); exp.Before(earliest) {
		exp = earliest
	}
	return exp
}

func (i *Issuer) seal(payload []byte) string {
	r := i.keys.Load()
	if r.purpose == Local {
		return v4.Encrypt(r.local[r.currentID], payload, r.footer, i.settings.implicit)
	}
	return v4.Sign(r.signer.private(), payload, r.footer, i.settings.implicit)
}

// newTokenID returns 128 random bits, base64url encoded (22 characters).
func newTokenID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
