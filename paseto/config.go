package paseto

import (
	"bytes"
	"fmt"
	"time"
)

// Default limits and lifetimes.
const (
	DefaultAccessLifetime  = 15 * time.Minute
	DefaultRefreshLifetime = 30 * 24 * time.Hour
	DefaultMaxTokenSize    = 8 << 10
	// MaxLeeway bounds VerifierConfig.Leeway: more than a few minutes of clock skew is a
	// broken clock, not skew.
	MaxLeeway = 5 * time.Minute
	// maxFooterSize bounds the decoded footer; ours is 63 bytes.
	maxFooterSize = 512
)

// settings is what an Issuer or a Verifier runs on, checked and with the
// defaults filled in.
type settings struct {
	issuer, audience string
	now              func() time.Time
	leeway           time.Duration
	lifetime         time.Duration
	maxSize          int
	implicit         []byte
	sessions         SessionChecker
	cacheSize        int
	observer         Observer
}

// IssuerConfig configures NewIssuer. The zero value mints tokens with the
// default lifetime for their type, without iss or aud, on time.Now.
type IssuerConfig struct {
	// Issuer is the iss claim written into every token; empty writes none.
	Issuer string
	// Audience is the aud claim written into every token; empty writes
	// none.
	Audience string
	// Lifetime is how long minted tokens live, at least a second. Zero
	// means DefaultAccessLifetime for access tokens, DefaultRefreshLifetime
	// for refresh tokens and one hour for other types.
	Lifetime time.Duration
	// MaxTokenSize: the Issuer refuses to mint a token longer than this
	// (zero means DefaultMaxTokenSize; else between 128 bytes and 1 MiB),
	// so that it never hands out a token its verifiers refuse: give both
	// the same size.
	MaxTokenSize int
	// ImplicitAssertion binds tokens to data that is authenticated but not
	// stored in the token (PASETO v4 implicit assertions), such as a tenant
	// ID. Issuer and Verifier must be given the same bytes. Nil means none,
	// so tokens verify in any PASETO v4 implementation given the key.
	ImplicitAssertion []byte
	// Clock replaces time.Now. It exists for tests, which should drive
	// expiry with a fake clock instead of sleeping.
	Clock func() time.Time
}

// VerifierConfig configures NewVerifier and NewVerifierFromSource. The zero
// value checks signature or tag, type, exp, nbf and iat against time.Now
// with no leeway, and nothing else: an empty Issuer or Audience and a nil
// Sessions each mean "no such check", never an error. Build the config
// from values you have checked (an unset environment variable read into
// Issuer turns the issuer check off), or use paseto.New, which always
// wires the session check.
type VerifierConfig struct {
	// Issuer, when set, is the iss claim required (a token without it, or
	// with another, fails with ErrIssuer). Empty: any issuer, or none.
	Issuer string
	// Audience, when set, is the aud claim required (ErrAudience
	// otherwise). Empty: any audience, or none.
	Audience string
	// Leeway tolerates clock skew between the machines that mint and
	// verify tokens when checking exp, nbf and iat: between 0 (the
	// default) and MaxLeeway.
	Leeway time.Duration
	// MaxTokenSize caps the length of a token the Verifier will look at
	// (zero means DefaultMaxTokenSize; else between 128 bytes and 1 MiB);
	// longer input is refused before any decoding.
	MaxTokenSize int
	// ImplicitAssertion: the bytes the Issuer was given (see
	// IssuerConfig.ImplicitAssertion).
	ImplicitAssertion []byte
	// Sessions, when set, makes the Verifier accept a token only while
	// Sessions reports its session live, asked after all other checks.
	// Tokens that belong to no session (no sid or no sub) are then refused
	// with ErrRevoked: there is nothing that could vouch for them. Nil: no
	// session check, so a logged-out session's tokens verify until they
	// expire; a Verifier for access tokens of an Auth wants the Auth's
	// store here (Auth.VerifyAccess does this).
	Sessions SessionChecker
	// CacheSize, when positive, makes the Verifier remember up to that many
	// tokens it has verified (at most 10,000,000), so that a repeat of the
	// same token skips decoding and cryptography, as Envoy's jwt_authn cache
	// does. Everything that can change between two requests is still
	// checked on every request: exp, nbf and iat against the clock, issuer,
	// audience and type, the route's Requirements (freshness, scopes) and
	// the session check. Only tokens that verified are cached, keyed by the
	// SHA-256 of their exact string, so a tampered or re-encoded variant is
	// a miss and goes through the full path.
	//
	// Memory is bounded by CacheSize entries, each about 300 bytes for an
	// access token without custom claims (a 16-byte hash of the token and
	// the claims packed; custom claims add their payload). When full, an
	// insert evicts one entry in constant time (amortised), chosen by the
	// CLOCK algorithm: an expired entry, or one not used since the hand
	// last passed it.
	CacheSize int
	// Clock replaces time.Now. It exists for tests, which should drive
	// expiry with a fake clock instead of sleeping.
	Clock func() time.Time

	// observer, set by the Auth, is told of each cache lookup.
	observer Observer
}

// Bounds of the configurable sizes.
const (
	minTokenSize = 128
	maxTokenSize = 1 << 20
	maxCacheSize = 10_000_000
)

// settings checks c and fills in the defaults for tokens of tokenType.
func (c IssuerConfig) settings(tokenType string) (settings, error) {
	s := settings{issuer: c.Issuer, audience: c.Audience, now: c.Clock, lifetime: c.Lifetime,
		implicit: bytes.Clone(c.ImplicitAssertion)}
	if c.Lifetime != 0 && c.Lifetime < time.Second {
		return s, fmt.Errorf("%w: lifetime %v shorter than a second", ErrConfig, c.Lifetime)
	}
	if s.lifetime == 0 {
		switch tokenType {
		case TypeAccess:
			s.lifetime = DefaultAccessLifetime
		case TypeRefresh:
			s.lifetime = DefaultRefreshLifetime
		default:
			s.lifetime = time.Hour
		}
	}
	var err error
	s.maxSize, err = maxSizeOf(c.MaxTokenSize)
	if s.now == nil {
		s.now = time.Now
	}
	return s, err
}

// settings checks c and fills in the defaults.
func (c VerifierConfig) settings() (settings, error) {
	s := settings{issuer: c.Issuer, audience: c.Audience, now: c.Clock, leeway: c.Leeway,
		implicit: bytes.Clone(c.ImplicitAssertion), sessions: c.Sessions, cacheSize: c.CacheSize, observer: c.observer}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		return s, fmt.Errorf("%w: leeway %v outside [0, %v]", ErrConfig, c.Leeway, MaxLeeway)
	}
	if c.CacheSize < 0 || c.CacheSize > maxCacheSize {
		return s, fmt.Errorf("%w: cache size %d outside [0, 10M]", ErrConfig, c.CacheSize)
	}
	var err error
	s.maxSize, err = maxSizeOf(c.MaxTokenSize)
	if s.now == nil {
		s.now = time.Now
	}
	return s, err
}

// maxSizeOf checks a configured token size; zero means the default.
func maxSizeOf(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxTokenSize, nil
	case n < minTokenSize || n > maxTokenSize:
		return 0, fmt.Errorf("%w: max token size %d outside [128, 1MiB]", ErrConfig, n)
	}
	return n, nil
}
