// The Guard: the HTTP policy the adapters share. A request goes through
// extract.go (finding the token), verify.go (checking it), policy.go (what
// the route demands) and problem.go (the answer); this file holds the Guard,
// Authenticate, which runs those steps, and refresh (explicit and implicit).
// The Guard's fresh-login endpoint is in freshlogin.go, its logout endpoint
// in logout.go.

package paseto

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// GuardConfig configures the HTTP side of an Auth.
type GuardConfig struct {
	// Realm is the realm of WWW-Authenticate challenges. Default "api".
	Realm string
	// Cookies, when set, lets tokens travel in cookies (after the
	// Authorization header), with double-submit CSRF protection on unsafe
	// methods. Nil means the Authorization header only.
	Cookies *CookieConfig
	// QueryParam names the query parameter read on routes that allow it
	// (AllowQuery, for WebSocket handshakes, which cannot send headers).
	// Default "access_token". Refresh tokens are never read from the query.
	QueryParam string
	// ImplicitRefresh, with Cookies, rotates a cookie session whose access
	// token expires within this window, when the response succeeds. It
	// needs the refresh cookie on every path (CookieConfig.RefreshPath "/",
	// the default) and a grace period (Config.GracePeriod > 0), since the
	// parallel requests of one page present the same refresh cookie. Zero
	// disables it.
	ImplicitRefresh time.Duration
	// MaxBodyBytes bounds the JSON body read by refresh endpoints. Default
	// 16 KiB.
	MaxBodyBytes int64
	// KeySetMaxAge is the Cache-Control max-age of the key set endpoint
	// (Guard.KeySet): how long verifiers may cache the published keys, so
	// the least time between publishing an upcoming key and promoting it.
	// Default DefaultKeySetMaxAge (5 minutes).
	KeySetMaxAge time.Duration
}

// Guard is the HTTP policy the adapters share: where tokens are found, the
// CSRF rule for cookies, what each route requires, and how errors are
// answered. Adapters translate requests and responses; every decision is
// made here. Build it once with NewGuard; it is safe for concurrent use.
type Guard struct {
	auth *Auth
	cfg  GuardConfig
}

// NewGuard returns a Guard for a.
func NewGuard(a *Auth, cfg GuardConfig) (*Guard, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil Auth", ErrConfig)
	}
	if cfg.Realm == "" {
		cfg.Realm = "api"
	}
	if strings.ContainsAny(cfg.Realm, "\"\\\r\n") {
		return nil, fmt.Errorf("%w: realm must not contain quotes, backslashes or newlines", ErrConfig)
	}
	if cfg.QueryParam == "" {
		cfg.QueryParam = "access_token"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 10
	}
	if cfg.KeySetMaxAge <= 0 {
		cfg.KeySetMaxAge = DefaultKeySetMaxAge
	}
	if cfg.ImplicitRefresh < 0 || (cfg.ImplicitRefresh > 0 && cfg.Cookies == nil) {
		return nil, fmt.Errorf("%w: ImplicitRefresh needs Cookies and a positive window", ErrConfig)
	}
	if cfg.Cookies != nil {
		c, err := cfg.Cookies.withDefaults()
		if err != nil {
			return nil, err
		}
		cfg.Cookies = &c
		// Implicit refresh reads the refresh cookie on ordinary routes; a
		// cookie scoped to the refresh endpoint never arrives there.
		// Every request of a page may trigger it: two running at once present
		// the same refresh cookie, and without a grace period the second is
		// reuse and revokes the session.
		if cfg.ImplicitRefresh > 0 && a.cfg.GracePeriod == 0 {
			return nil, fmt.Errorf("%w: ImplicitRefresh needs Config.GracePeriod > 0: parallel requests of one page present the same refresh cookie", ErrConfig)
		}
		if cfg.ImplicitRefresh > 0 && c.RefreshPath != "/" {
			return nil, fmt.Errorf("%w: ImplicitRefresh needs the refresh cookie on every path (RefreshPath %q, want \"/\")", ErrConfig, c.RefreshPath)
		}
	}
	return &Guard{auth: a, cfg: cfg}, nil
}

// Auth returns the Auth behind the Guard.
func (g *Guard) Auth() *Auth { return g.auth }

// Config returns the configuration with defaults filled in.
func (g *Guard) Config() GuardConfig { return g.cfg }

// Result is the outcome of a successful Authenticate.
type Result struct {
	// Claims of the access token, or of the new access token on a refresh
	// route. Nil for an anonymous request on an optional route.
	Claims *Claims
	// Pair is the rotated pair on a refresh route.
	Pair *TokenPair
	// Source is where the token was found.
	Source Source

	implicitRefresh string // the refresh cookie, when implicit refresh is due
	implicitSession string // the access token's sid the refresh token must share
	implicitCSRF    string // the CSRF cookie, renewed with the session's cookies
}

// ImplicitRefreshDue reports whether the adapter should call
// Guard.FinishImplicitRefresh just before the response status is written.
func (r *Result) ImplicitRefreshDue() bool { return r.implicitRefresh != "" }

// Authenticate applies policy p to the request. On success the Result
// holds the claims (nil for an anonymous optional request); on a refresh
// route it holds the rotated pair, and new cookies are already added to w
// when the refresh token came from a cookie. On failure, answer with
// ProblemFor(err, p); the protected handler must not run.
func (g *Guard) Authenticate(r Request, w Response, p *Policy) (Result, error) {
	if p.refresh {
		return g.refresh(r, w, p)
	}
	ctx := r.Context()
	token, src, err := g.accessToken(r, p)
	if err != nil || token == "" {
		if err == nil {
			err = ErrMissingToken
		}
		if p.optional && (err == ErrMissingToken || p.anonymousOnInvalid) {
			return Result{}, nil
		}
		return Result{}, err
	}
	reqs := p.reqs
	if src == SourceCookie && unsafeMethod(r.Method()) {
		reqs = append(reqs[:len(reqs):len(reqs)], g.csrfRequirement(r))
	}
	c, err := g.verifyFor(ctx, token, p, reqs)
	if err != nil || c == nil {
		return Result{}, err
	}
	res := Result{Claims: c, Source: src}
	if src == SourceCookie && g.cfg.ImplicitRefresh > 0 {
		now := g.auth.now()
		if c.Expiration.Sub(now) < g.cfg.ImplicitRefresh {
			if rt := r.Cookie(g.cfg.Cookies.RefreshName); rt != "" {
				res.implicitRefresh = strings.Clone(rt)
				res.implicitSession = c.Session
				res.implicitCSRF = strings.Clone(r.Cookie(g.cfg.Cookies.CSRFName))
			}
		}
	}
	return res, nil
}

// verifyFor verifies an access token with reqs for p and reports the
// outcome to the Observer. A failure p lets through anonymously
// (Optional with WithAnonymousOnInvalid, never a store failure) is
// (nil, nil).
func (g *Guard) verifyFor(ctx context.Context, token string, p *Policy, reqs []Requirement) (*Claims, error) {
	c, err := g.auth.accessVerifier.Verify(ctx, token, reqs...)
	g.auth.observeVerify(ctx, err)
	if err != nil && p.optional && p.anonymousOnInvalid && !isStoreError(err) {
		return nil, nil
	}
	return c, err
}

// refresh runs a refresh route: find the refresh token, check CSRF when it
// came from a cookie, rotate, and set new cookies for cookie sessions.
func (g *Guard) refresh(r Request, w Response, p *Policy) (Result, error) {
	token, src, err := g.refreshToken(r)
	if err != nil {
		return Result{}, err
	}
	reqs := p.reqs
	if src == SourceCookie {
		reqs = append(reqs[:len(reqs):len(reqs)], g.csrfRequirement(r))
		token = g.refreshCookie(r, token, reqs)
	}
	pair, err := g.auth.Refresh(r.Context(), token, reqs...)
	if err != nil {
		return Result{}, err
	}
	if src == SourceCookie {
		g.SetSessionCookies(w, pair, g.renewableCSRF(r.Cookie(g.cfg.Cookies.CSRFName), pair))
	}
	return Result{Claims: pair.Access, Pair: pair, Source: src}, nil
}

// FinishImplicitRefresh rotates the cookie session of res when the response
// is a success (status < 400) and adds the new cookies to w. Adapters call
// it just before the status line is written. Failures are not the
// client's: the old cookies stay valid until they expire, so it reports
// nothing.
func (g *Guard) FinishImplicitRefresh(ctx context.Context, res *Result, status int, w Response) {
	if res.implicitRefresh == "" || status >= 400 {
		return
	}
	rt, sid := res.implicitRefresh, res.implicitSession
	res.implicitRefresh = ""
	// The refresh cookie must belong to the session the request
	// authenticated with: a refresh cookie planted by someone else must not
	// swap the browser into their session.
	sameSession := func(_ context.Context, c *Claims, _ time.Time) error {
		if sid == "" || c.Session != sid {
			return fmt.Errorf("%w: refresh cookie of another session", ErrInvalid)
		}
		return nil
	}
	pair, err := g.auth.Refresh(ctx, rt, sameSession)
	if err != nil {
		return
	}
	g.SetSessionCookies(w, pair, g.renewableCSRF(res.implicitCSRF, pair))
}
