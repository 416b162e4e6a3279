// Package echopaseto protects echo v4 routes with PASETO v4 tokens. It is
// glue only: the paseto.Guard decides; this package reads the request
// through a small view, puts the claims in the echo context and returns the
// Guard's errors as *echo.HTTPError wrapping the cause, so the app's
// HTTPErrorHandler renders them (as with echo-jwt) and errors.Is finds the
// paseto sentinel.
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := echopaseto.New(guard)
//
//	e := echo.New()
//	e.GET("/me", func(c echo.Context) error {
//		return c.JSON(http.StatusOK, map[string]string{"user": echopaseto.Subject(c)})
//	}, m.Required())
//	e.POST("/account/delete", deleteAccount, m.Fresh(5*time.Minute))
//	e.POST("/refresh", m.RefreshHandler())
//	e.POST("/logout", m.LogoutHandler())
package echopaseto

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pasetoauth/pasetoauth/adapters/internal/stdhttp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Skipper, when it returns true, calls the next handler unchanged. It
	// does not apply to RefreshHandler and LogoutHandler.
	Skipper func(c echo.Context) bool
	// ErrorHandler turns a rejection into the error the middleware
	// returns (nil when it has written the response itself). Default
	// DefaultErrorHandler. Whatever it does, the next handler does not run.
	ErrorHandler func(c echo.Context, p paseto.Problem, err error) error
}

// Middleware builds echo middleware and handlers from a paseto.Guard.
// Build it once; it is safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g, with the first cfg if given. It panics
// when g is nil, a programming error found at start-up.
func New(g *paseto.Guard, cfg ...Config) *Middleware {
	if g == nil {
		panic("echopaseto: nil *paseto.Guard")
	}
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = DefaultErrorHandler
	}
	return &Middleware{g: g, cfg: c}
}

// DefaultErrorHandler sets the WWW-Authenticate challenge and the
// Retry-After delay of p, when there are any, and returns an *echo.HTTPError with p's status, a Message of
// {"error": code, "message": text} (echo's default HTTPErrorHandler writes
// it as JSON) and err as Internal, so errors.Is(err, paseto.ErrExpired)
// works on what the middleware returns.
func DefaultErrorHandler(c echo.Context, p paseto.Problem, err error) error {
	if p.Challenge != "" {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, p.Challenge)
	}
	if p.RetryAfter != "" {
		c.Response().Header().Set(echo.HeaderRetryAfter, p.RetryAfter)
	}
	return &echo.HTTPError{
		Code:     p.Status,
		Message:  map[string]string{"error": p.Body.Error, "message": p.Body.Message},
		Internal: err,
	}
}

// Required returns middleware that lets a request through only with a
// valid access token (paseto.Guard.Required).
func (m *Middleware) Required(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.Required(opts...))
}

// Fresh returns middleware that demands a fresh access token, minted by a
// login (not a refresh) and, with maxAge > 0, at most maxAge ago
// (paseto.Guard.Fresh).
func (m *Middleware) Fresh(maxAge time.Duration, opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.Fresh(maxAge, opts...))
}

// Optional returns middleware that lets anonymous requests through (no
// claims in the context) and puts the claims of a valid token in the
// context. A bad token is rejected unless opts has
// paseto.AnonymousOnInvalid.
func (m *Middleware) Optional(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired returns middleware for a refresh endpoint: it rotates
// the presented refresh token and puts the new pair (TokenPair) and the new
// access token's claims (Claims) in the context for the next handler, which
// writes the response. With a cookie session the new cookies are already
// set.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.Refresh(opts...))
}

// RefreshHandler returns a complete refresh endpoint: RefreshRequired,
// then 200 with the OAuth 2.0 token response (paseto.Guard.RefreshReply),
// not cacheable.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) echo.HandlerFunc {
	p := m.g.Refresh(opts...)
	return func(c echo.Context) error {
		resp := c.Response()
		res, err := m.g.Authenticate(stdhttp.Request{R: c.Request()}, stdhttp.Header(resp.Header()), p)
		if err != nil {
			return m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
		}
		resp.Header().Set(echo.HeaderCacheControl, "no-store")
		return c.JSONBlob(http.StatusOK, m.g.RefreshReply(res))
	}
}

// LogoutHandler returns a complete logout endpoint (paseto.Guard.Logout):
// it ends the session of the access token, authenticated as
// Required(opts...) does, or, when none valid arrives, of the refresh
// cookie; it expires the session cookies (kept on a 503, for a retry) and
// answers 204 No Content. For cookie sessions, mount it under
// CookieConfig.RefreshPath, so that the refresh cookie reaches it.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) echo.HandlerFunc {
	p := m.g.Required(opts...)
	return func(c echo.Context) error {
		if err := m.g.Logout(stdhttp.Request{R: c.Request()}, stdhttp.Header(c.Response().Header()), p); err != nil {
			return m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// LoginWithCookies starts a cookie session for subject, whose credentials
// the app has just checked: it sets the access, refresh and CSRF cookies on
// the response (paseto.Guard.LoginWithCookies). The returned session's CSRF
// value is also in the CSRF cookie; the client echoes it in the CSRF header
// on unsafe requests. It fails with paseto.ErrConfig when the Guard has no
// cookie configuration, and with the store's error when the session cannot
// be saved; then no cookie is set.
func (m *Middleware) LoginWithCookies(c echo.Context, subject string, opts ...paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(c.Request().Context(), stdhttp.Header(c.Response().Header()), subject, opts...)
}

// ClearSessionCookies expires the access, refresh and CSRF cookies, as
// LogoutHandler does, for apps that end a session their own way.
func (m *Middleware) ClearSessionCookies(c echo.Context) {
	m.g.ClearSessionCookies(stdhttp.Header(c.Response().Header()))
}

func (m *Middleware) protect(p *paseto.Policy) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if m.cfg.Skipper != nil && m.cfg.Skipper(c) {
				return next(c)
			}
			req, resp := c.Request(), c.Response()
			res, err := m.g.Authenticate(stdhttp.Request{R: req}, stdhttp.Header(resp.Header()), p)
			if err != nil {
				return m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
			}
			if res.Claims != nil {
				c.Set(claimsKey, res.Claims)
			}
			if res.Pair != nil {
				c.Set(pairKey, res.Pair)
			}
			if !res.ImplicitRefreshDue() {
				return next(c)
			}
			finish := func() { m.g.FinishImplicitRefresh(req.Context(), &res, resp.Status, stdhttp.Header(resp.Header())) }
			// Just before the status line is written (inside WriteHeader,
			// after Status is set), so that a failed response, including an
			// error rendered by the HTTPErrorHandler, never rotates the
			// session.
			resp.Before(finish)
			err = next(c)
			if err == nil && !resp.Committed {
				// Nothing written: net/http answers 200 with no body, past
				// echo's hooks.
				finish()
			}
			return err
		}
	}
}

// Context keys. echo v4 keys are strings; these are unexported and
// namespaced by import path, so they collide with nothing.
const (
	claimsKey = "github.com/pasetoauth/pasetoauth/adapters/echopaseto.claims"
	pairKey   = "github.com/pasetoauth/pasetoauth/adapters/echopaseto.pair"
)

// Claims returns the claims the middleware verified; false for an
// anonymous request on an Optional route or outside the middleware.
func Claims(c echo.Context) (*paseto.Claims, bool) {
	cl, _ := c.Get(claimsKey).(*paseto.Claims)
	return cl, cl != nil
}

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(c echo.Context) string {
	if cl, ok := Claims(c); ok {
		return cl.Subject
	}
	return ""
}

// TokenPair returns the pair minted by RefreshRequired.
func TokenPair(c echo.Context) (*paseto.TokenPair, bool) {
	p, _ := c.Get(pairKey).(*paseto.TokenPair)
	return p, p != nil
}
