package paseto

import (
	"fmt"
	"time"
)

// Default limits and lifetimes.
const (
	DefaultAccessLifetime  = 15 * time.Minute
	DefaultRefreshLifetime = 30 * 24 * time.Hour
	DefaultMaxTokenSize    = 8 << 10
	// MaxLeeway bounds WithLeeway: more than a few minutes of clock skew is a
	// broken clock, not skew.
	MaxLeeway = 5 * time.Minute
	// maxFooterSize bounds the decoded footer; ours is 63 bytes.
	maxFooterSize = 512
)

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

type optionScope uint8

const (
	forIssuer optionScope = 1 << iota
	forVerifier
)

// Option configures an Issuer or a Verifier. Options that make no sense for
// the one being built (a leeway for an Issuer, say) are refused by its
// constructor rather than silently ignored.
type Option struct {
	name  string
	scope optionScope
	apply func(*settings) error
}

func buildSettings(scope optionScope, opts []Option) (settings, error) {
	s := settings{now: time.Now, maxSize: DefaultMaxTokenSize}
	for _, o := range opts {
		if o.apply == nil {
			return s, fmt.Errorf("%w: zero Option", ErrConfig)
		}
		if o.scope&scope == 0 {
			return s, fmt.Errorf("%w: %s does not apply here", ErrConfig, o.name)
		}
		if err := o.apply(&s); err != nil {
			return s, err
		}
	}
	return s, nil
}

// WithIssuer sets the iss claim an Issuer writes, and the one a Verifier
// requires (a token without it, or with another, fails with ErrIssuer).
func WithIssuer(iss string) Option {
	return Option{"WithIssuer", forIssuer | forVerifier, func(s *settings) error {
		if iss == "" {
			return fmt.Errorf("%w: empty issuer", ErrConfig)
		}
		s.issuer = iss
		return nil
	}}
}

// WithAudience sets the aud claim an Issuer writes, and the one a Verifier
// requires (ErrAudience otherwise).
func WithAudience(aud string) Option {
	return Option{"WithAudience", forIssuer | forVerifier, func(s *settings) error {
		if aud == "" {
			return fmt.Errorf("%w: empty audience", ErrConfig)
		}
		s.audience = aud
		return nil
	}}
}

// WithClock replaces time.Now. It exists for tests, which should drive
// expiry with a fake clock instead of sleeping.
func WithClock(now func() time.Time) Option {
	return Option{"WithClock", forIssuer | forVerifier, func(s *settings) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		s.now = now
		return nil
	}}
}

// WithLeeway tolerates clock skew between the machines that mint and verify
// tokens when checking exp, nbf and iat. It must be between 0 (the default)
// and MaxLeeway.
func WithLeeway(d time.Duration) Option {
	return Option{"WithLeeway", forVerifier, func(s *settings) error {
		if d < 0 || d > MaxLeeway {
			return fmt.Errorf("%w: leeway %v outside [0, %v]", ErrConfig, d, MaxLeeway)
		}
		s.leeway = d
		return nil
	}}
}

// WithLifetime sets how long minted tokens live. The defaults are
// DefaultAccessLifetime for access tokens, DefaultRefreshLifetime for refresh
// tokens and one hour for other types.
func WithLifetime(d time.Duration) Option {
	return Option{"WithLifetime", forIssuer, func(s *settings) error {
		if d < time.Second {
			return fmt.Errorf("%w: lifetime %v shorter than a second", ErrConfig, d)
		}
		s.lifetime = d
		return nil
	}}
}

// WithMaxTokenSize caps the length of a token a Verifier will look at
// (default DefaultMaxTokenSize); longer input is refused before any
// decoding. An Issuer refuses to mint a token longer than its cap (the same
// default), so that it never hands out a token its verifiers refuse: give
// both the same size.
func WithMaxTokenSize(n int) Option {
	return Option{"WithMaxTokenSize", forIssuer | forVerifier, func(s *settings) error {
		if n < 128 || n > 1<<20 {
			return fmt.Errorf("%w: max token size %d outside [128, 1MiB]", ErrConfig, n)
		}
		s.maxSize = n
		return nil
	}}
}

// WithImplicitAssertion binds tokens to data that is authenticated but not
// stored in the token (PASETO v4 implicit assertions), such as a tenant ID.
// Issuer and Verifier must be given the same bytes. By default there is none,
// so tokens verify in any PASETO v4 implementation given the key.
func WithImplicitAssertion(data []byte) Option {
	return Option{"WithImplicitAssertion", forIssuer | forVerifier, func(s *settings) error {
		s.implicit = append([]byte(nil), data...)
		return nil
	}}
}

// WithSessionCheck makes a Verifier accept a token only while sc reports
// its session live, asked after all other checks. Tokens that belong to no
// session (no sid or no sub) are then refused with ErrRevoked: there is
// nothing that could vouch for them.
func WithSessionCheck(sc SessionChecker) Option {
	return Option{"WithSessionCheck", forVerifier, func(s *settings) error {
		if sc == nil {
			return fmt.Errorf("%w: nil SessionChecker", ErrConfig)
		}
		s.sessions = sc
		return nil
	}}
}
