// Authorization: what a route demands (a Policy, built by the Guard's
// Required, FreshRequired, Optional and RefreshRequired with route options)
// and the Requirement checks run on verified claims.

package paseto

import (
	"context"
	"fmt"
	"time"
)

// Policy is what a route demands. Build it once per route with the Guard's
// Required, FreshRequired, Optional or RefreshRequired methods.
type Policy struct {
	refresh            bool
	optional           bool
	fresh              bool
	anonymousOnInvalid bool
	allowQuery         bool
	// MaxAge is the freshness bound of a FreshRequired route (WithMaxAge),
	// reported as max_age in challenges; 0 means any age.
	MaxAge time.Duration
	// Scopes are the scopes the route requires, reported in challenges.
	Scopes []string
	reqs   []Requirement
}

// Required is the policy of a route that needs a valid access token: from
// the Authorization header, then the access cookie (when
// GuardConfig.Cookies is set, with the CSRF double submit on unsafe
// methods), then the query (only WithQueryToken). The adapters' Required
// middleware runs it and puts the claims in the framework's context.
func (g *Guard) Required(opts ...RouteOption) *Policy { return newPolicy(Policy{}, opts) }

// FreshRequired is the policy of a route that needs a fresh access token,
// as Required does and minted by a login, not by a refresh: for changing a
// password or deleting an account. With no option any age will do;
// WithMaxAge(d) also demands that the login was at most d ago. A refusal
// is 401 with error="insufficient_user_authentication" (RFC 9470), so the
// client asks the user to log in again.
func (g *Guard) FreshRequired(opts ...RouteOption) *Policy {
	p := newPolicy(Policy{fresh: true}, opts)
	p.reqs = append([]Requirement{RequireFresh(p.MaxAge)}, p.reqs...)
	return p
}

// Optional is the policy of a route open to anonymous users that
// recognises a valid access token when one is presented. The adapters'
// Optional middleware lets an anonymous request through with no claims in
// the context. A bad token is still rejected unless WithAnonymousOnInvalid.
func (g *Guard) Optional(opts ...RouteOption) *Policy {
	return newPolicy(Policy{optional: true}, opts)
}

// RefreshRequired is the policy of a refresh endpoint: it takes a refresh
// token from the Authorization header, the refresh cookie (with the CSRF
// double submit) or a JSON body {"refresh_token": "…"} (never the query)
// and rotates it. With a cookie session the new cookies are set on the
// response. The adapters' RefreshRequired middleware puts the new pair and
// the new access token's claims in the framework's context for the next
// handler, which writes the response; their RefreshHandler answers with
// RefreshReply instead.
func (g *Guard) RefreshRequired(opts ...RouteOption) *Policy {
	return newPolicy(Policy{refresh: true}, opts)
}

func newPolicy(base Policy, opts []RouteOption) *Policy {
	p := base
	for _, o := range opts {
		o(&p)
	}
	if p.MaxAge > 0 && !p.fresh {
		panic("paseto: WithMaxAge applies to FreshRequired routes only")
	}
	return &p
}

// RouteOption adjusts a Policy. Route options are named With… like the
// package's other options.
type RouteOption func(*Policy)

// WithQueryToken lets the route read the access token from the query string
// (GuardConfig.QueryParam), for WebSocket handshakes, which cannot send
// headers. Tokens in URLs end up in logs: use it nowhere else. Refresh
// tokens are never read from the query.
func WithQueryToken() RouteOption { return func(p *Policy) { p.allowQuery = true } }

// WithAnonymousOnInvalid makes an Optional route treat a present but bad
// token as no token. By default a bad token is rejected even on optional
// routes. A store outage is still an error.
func WithAnonymousOnInvalid() RouteOption {
	return func(p *Policy) { p.anonymousOnInvalid = true }
}

// WithRequirements adds checks on the claims, run after the built-in ones
// and before revocation: your own authorization rules.
func WithRequirements(reqs ...Requirement) RouteOption {
	return func(p *Policy) { p.reqs = append(p.reqs, reqs...) }
}

// WithScopes requires every one of scopes (403 insufficient_scope).
func WithScopes(scopes ...string) RouteOption {
	return func(p *Policy) {
		p.Scopes = append(p.Scopes, scopes...)
		p.reqs = append(p.reqs, RequireScopes(scopes...))
	}
}

// WithAnyScope requires at least one of scopes (403 insufficient_scope).
func WithAnyScope(scopes ...string) RouteOption {
	return func(p *Policy) {
		p.Scopes = append(p.Scopes, scopes...)
		p.reqs = append(p.reqs, RequireAnyScope(scopes...))
	}
}

// WithMaxAge bounds the age of a FreshRequired route's token: the login
// that minted it (auth_time) must be at most d ago, and the challenge of a
// refusal carries max_age (RFC 9470). It belongs to FreshRequired only: the
// other policy constructors panic when given it, and so does a d <= 0, a
// route mistake found at start-up rather than a bound silently ignored.
func WithMaxAge(d time.Duration) RouteOption {
	if d <= 0 {
		panic(fmt.Sprintf("paseto: WithMaxAge(%v): the age must be positive; FreshRequired() alone accepts any age", d))
	}
	return func(p *Policy) { p.MaxAge = d }
}

// A Requirement is a route's extra condition on verified claims, checked
// after the type and before the session check, in the order given.
//
// ctx is the context passed to Verify: on the HTTP path, the request's
// context, so a Requirement that consults a database is cancelled with the
// request and sees its deadline and values. c has passed every check
// before it (cryptography, times, issuer, audience, type); do not keep or
// modify it. now is the Verifier's clock, for time-based rules.
//
// Return nil to accept, or an error to refuse: wrap one of the package's
// sentinels to choose the answer (ErrInsufficientScope gives 403
// insufficient_scope, ErrNotFresh 401 insufficient_user_authentication);
// any other error is answered 500 server_error. A Requirement runs on
// every request of its route, cached token or not: keep it fast.
type Requirement func(ctx context.Context, c *Claims, now time.Time) error

// RequireFresh demands a fresh token: minted straight from a credential
// check, not by refresh. Failures are ErrNotFresh.
//
// maxAge bounds the age of that credential check (per auth_time) only when
// it is positive: RequireFresh(0) means "fresh, any age", not "zero
// seconds old", like [Guard.FreshRequired] without [WithMaxAge]. A
// negative maxAge also means any age. On a route, prefer
// FreshRequired(WithMaxAge(d)), which refuses a non-positive d.
func RequireFresh(maxAge time.Duration) Requirement {
	return func(_ context.Context, c *Claims, now time.Time) error {
		if !c.Fresh {
			return fmt.Errorf("%w: token was not minted from a credential check", ErrNotFresh)
		}
		if maxAge > 0 && (c.AuthTime.IsZero() || now.Sub(c.AuthTime) > maxAge) {
			return fmt.Errorf("%w: authentication older than %v", ErrNotFresh, maxAge)
		}
		return nil
	}
}
