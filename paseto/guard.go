package paseto

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
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

// Source is where a token was found.
type Source uint8

// Token sources.
const (
	SourceNone Source = iota
	SourceHeader
	SourceCookie
	SourceQuery
	SourceBody
)

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
	c, err := g.auth.accessVerifier.Verify(ctx, token, reqs...)
	if err != nil {
		if p.optional && p.anonymousOnInvalid && !isStoreError(err) {
			return Result{}, nil
		}
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

// isStoreError reports a store failure. ErrStoreFull is named until it
// wraps ErrStoreUnavailable.
func isStoreError(err error) bool {
	return errors.Is(err, ErrStoreUnavailable) || errors.Is(err, ErrStoreFull)
}

// accessToken finds the access token: the Authorization header, then the
// access cookie (when enabled), then the query (only where allowed).
func (g *Guard) accessToken(r Request, p *Policy) (string, Source, error) {
	tok, err := bearer(r)
	if err != nil || tok != "" {
		return tok, SourceHeader, err
	}
	if g.cfg.Cookies != nil {
		if tok := r.Cookie(g.cfg.Cookies.AccessName); tok != "" {
			return tok, SourceCookie, nil
		}
	}
	if p.allowQuery {
		if tok := r.Query(g.cfg.QueryParam); tok != "" {
			return tok, SourceQuery, nil
		}
	}
	return "", SourceNone, nil
}

// bearer reads "Authorization: Bearer <token>". The scheme is matched
// case-insensitively (RFC 7235); other schemes are not ours and count as no
// token; two Authorization headers, or "Bearer" without a token, are
// malformed.
func bearer(r Request) (string, error) {
	vals := r.HeaderValues("Authorization")
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: more than one Authorization header", ErrMalformed)
	}
	v := strings.TrimSpace(vals[0])
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" || strings.ContainsAny(tok, " \t,") {
		return "", fmt.Errorf("%w: Authorization: Bearer needs exactly one token", ErrMalformed)
	}
	return tok, nil
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
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

func (g *Guard) refreshToken(r Request) (string, Source, error) {
	tok, err := bearer(r)
	if err != nil || tok != "" {
		return tok, SourceHeader, err
	}
	if g.cfg.Cookies != nil {
		if tok := g.refreshCookieValue(r); tok != "" {
			return tok, SourceCookie, nil
		}
	}
	if !unsafeMethod(r.Method()) {
		return "", SourceNone, ErrMissingToken
	}
	body, err := r.Body(g.cfg.MaxBodyBytes)
	if err != nil {
		return "", SourceNone, fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}
	tok, err = refreshFromBody(body)
	return tok, SourceBody, err
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

// renewableCSRF returns the request's CSRF cookie value when it belongs to
// pair's session (its hash is the csrf claim), so that the CSRF cookie is
// set again with the new refresh token's lifetime instead of expiring
// before the session; "" otherwise, which leaves the CSRF cookie alone.
func (g *Guard) renewableCSRF(cookie string, pair *TokenPair) string {
	if cookie == "" || pair.Access == nil || pair.Access.CSRF == "" {
		return ""
	}
	if subtle.ConstantTimeCompare([]byte(csrfHash(cookie)), []byte(pair.Access.CSRF)) != 1 {
		return ""
	}
	return cookie
}

// Logout serves a logout endpoint: it ends the session of the request and
// returns LogoutReply (204 No Content) for the adapter to copy. With cookies
// enabled it expires every session cookie, so that the browser stops
// sending them, whether the session was ended now, was already over, or the
// request was refused (no token, a failed CSRF check). The one exception
// is a store failure (503): the session may still be alive, so the cookies
// stay for the browser to retry the logout after Retry-After.
//
// The session is the access token's (policy p, usually Required()). When no
// valid access token arrives (the browser has dropped the expired access
// cookie, say), the refresh cookie is used instead, with the same CSRF
// check: the refresh cookie must therefore reach the logout endpoint, which
// belongs under CookieConfig.RefreshPath. Answer errors with ProblemFor.
func (g *Guard) Logout(r Request, w Response, p *Policy) (_ Reply, err error) {
	if g.cfg.Cookies != nil {
		defer func() {
			if !isStoreError(err) {
				g.ClearSessionCookies(w)
			}
		}()
	}
	res, err := g.Authenticate(r, w, p)
	if err == nil && res.Claims == nil {
		err = ErrMissingToken
	}
	if err != nil {
		if isStoreError(err) || errors.Is(err, ErrCSRF) {
			return Reply{}, err
		}
		c, rerr := g.refreshCookieClaims(r)
		if rerr != nil {
			if errors.Is(err, ErrMissingToken) {
				return Reply{}, rerr
			}
			return Reply{}, err
		}
		res.Claims = c
	}
	if err := g.auth.Logout(r.Context(), res.Claims); err != nil {
		return Reply{}, err
	}
	return LogoutReply(), nil
}

// refreshCookieClaims verifies the refresh cookie for Logout, with the CSRF
// double submit (logout is an unsafe request). It does not touch the store:
// ending a session needs no rotation.
func (g *Guard) refreshCookieClaims(r Request) (*Claims, error) {
	if g.cfg.Cookies == nil {
		return nil, ErrMissingToken
	}
	rt := g.refreshCookieValue(r)
	if rt == "" {
		return nil, ErrMissingToken
	}
	csrf := g.csrfRequirement(r)
	return g.auth.refreshVerify.Verify(r.Context(), g.refreshCookie(r, rt, []Requirement{csrf}), csrf)
}

// maxSameNameCookies bounds how many refresh cookies of one name
// refreshCookie tries: a parent domain two levels up and a few paths let an
// attacker place about six ahead of the browser's own.
const maxSameNameCookies = 8

// refreshCookieValue is the first non-empty refresh cookie: an empty one
// (planted, or a deletion that never took) must not hide the browser's
// own, as a framework's first-cookie lookup would.
func (g *Guard) refreshCookieValue(r Request) string {
	if vals := cookieValues(r, g.cfg.Cookies.RefreshName, 1); len(vals) > 0 {
		return vals[0]
	}
	return r.Cookie(g.cfg.Cookies.RefreshName)
}

// refreshCookie picks the refresh cookie to use. A browser sends two
// cookies of one name when they differ in Domain or Path, and a
// __Secure- refresh cookie (a scoped RefreshPath) may carry a Domain, so a
// sibling subdomain can plant one that sorts first. With several, the first
// that verifies under reqs, which hold the CSRF check binding it to this
// browser's CSRF value, is used; with one, first is. Nothing here touches
// the store.
func (g *Guard) refreshCookie(r Request, first string, reqs []Requirement) string {
	vals := cookieValues(r, g.cfg.Cookies.RefreshName, maxSameNameCookies)
	if len(vals) < 2 {
		return first
	}
	for _, v := range vals {
		if _, err := g.auth.refreshVerify.Verify(r.Context(), v, reqs...); err == nil {
			return v
		}
	}
	return first
}
