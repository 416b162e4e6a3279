// Package echov5paseto protects echo v5 routes with PASETO v4 tokens. It is
// glue only: the paseto.Guard decides; this package reads the request
// through a small view, puts the claims in the *echo.Context and returns
// the Guard's errors in echo v5's error habits, so the app's
// HTTPErrorHandler renders them and errors.Is finds the paseto sentinel.
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := echov5paseto.New(guard, echov5paseto.Config{})
//
//	e := echo.New()
//	e.GET("/me", func(c *echo.Context) error {
//		return c.JSON(http.StatusOK, map[string]string{"user": echov5paseto.Subject(c)})
//	}, m.Required())
//	e.POST("/account/delete", deleteAccount, m.FreshRequired(paseto.WithMaxAge(5*time.Minute)))
//	e.POST("/refresh", m.RefreshHandler())
//	e.POST("/logout", m.LogoutHandler())
//	e.GET("/sessions", m.SessionsHandler())
//	e.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
//	e.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())
//
// A login handler passes echov5paseto.Device(c) in
// paseto.LoginOptions.Device, so that the session list shows the client
// each session was opened from.
//
// It mirrors echopaseto (echo v4); the differences are echo v5's: handlers
// take *echo.Context, c.Response() is an http.ResponseWriter (the implicit
// refresh hooks the *echo.Response it unwraps to), and echo.HTTPError's
// Message is a string, so a rejection is returned as an *Error that echo's
// DefaultHTTPErrorHandler writes as the small JSON body and that unwraps to
// an *echo.HTTPError wrapping the cause.
package echov5paseto

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/internal/device"
	"github.com/pasetoauth/pasetoauth/adapters/internal/stdhttp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Skipper, when it returns true, calls the next handler unchanged. It
	// does not apply to the complete endpoints (RefreshHandler,
	// LogoutHandler and the session handlers). A middleware.Skipper fits.
	Skipper func(c *echo.Context) bool
	// ErrorHandler turns a rejection into the error the middleware
	// returns (nil when it has written the response itself). Default
	// DefaultErrorHandler. The Problem's Header (the challenge,
	// Retry-After) is already set on the response when it runs. Whatever
	// it does, the next handler does not run.
	ErrorHandler func(c *echo.Context, p paseto.Problem, err error) error
}

// Middleware builds echo middleware and handlers from a paseto.Guard.
// Build it once; it is safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g. It panics when g is nil, a programming
// error found at start-up.
func New(g *paseto.Guard, cfg Config) *Middleware {
	if g == nil {
		panic("echov5paseto: nil *paseto.Guard")
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = DefaultErrorHandler
	}
	return &Middleware{g: g, cfg: cfg}
}

// Error is the error DefaultErrorHandler returns for a rejected request.
//
// It follows echo v5's error contract: StatusCode (echo.HTTPStatusCoder)
// is the Problem's status, and it unwraps to an *echo.HTTPError with that
// Code and the Problem's message, which wraps the cause. So errors.As
// finds the *echo.HTTPError, errors.Is finds the paseto sentinel, and
// echo.StatusCode(err) is the status. It is also a json.Marshaler, which
// echo's DefaultHTTPErrorHandler writes as the body: the Problem's
// {"error": code, "message": text}, never the cause's text, even with
// exposeError (ProblemDetailsHTTPErrorHandler uses the message as the
// detail instead).
type Error struct {
	// Problem is the Guard's answer to the request.
	Problem paseto.Problem
	err     error // *echo.HTTPError wrapping the cause
}

// Error reports the status, the message and the cause, for logs.
func (e *Error) Error() string {
	if e.err == nil { // built by hand, without a cause
		return fmt.Sprintf("code=%d, message=%s", e.Problem.Status, e.Problem.Body.Message)
	}
	return e.err.Error()
}

// Unwrap returns the *echo.HTTPError, which wraps the cause.
func (e *Error) Unwrap() error { return e.err }

// StatusCode returns the Problem's status (echo.HTTPStatusCoder).
func (e *Error) StatusCode() int { return e.Problem.Status }

// MarshalJSON returns the Problem's small JSON body.
func (e *Error) MarshalJSON() ([]byte, error) { return e.Problem.Body.JSON(), nil }

// DefaultErrorHandler sets p.Header() (the WWW-Authenticate challenge and
// the Retry-After delay, when there are any) and returns an *Error for p
// wrapping err, which the app's HTTPErrorHandler renders.
func DefaultErrorHandler(c *echo.Context, p paseto.Problem, err error) error {
	h := c.Response().Header()
	for _, f := range p.Header() {
		h.Set(f.Name, f.Value)
	}
	return &Error{
		Problem: p,
		err:     echo.HTTPError{Code: p.Status, Message: p.Body.Message}.Wrap(err),
	}
}

// Required is [paseto.Guard.Required] as echo middleware.
func (m *Middleware) Required(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.Required(opts...))
}

// FreshRequired is [paseto.Guard.FreshRequired] as echo middleware.
func (m *Middleware) FreshRequired(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.FreshRequired(opts...))
}

// Optional is [paseto.Guard.Optional] as echo middleware.
func (m *Middleware) Optional(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired is [paseto.Guard.RefreshRequired] as echo middleware.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) echo.MiddlewareFunc {
	return m.protect(m.g.RefreshRequired(opts...))
}

// RefreshHandler is [paseto.Guard.RefreshRequired] answered with [paseto.Guard.RefreshReply], as an echo handler.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) echo.HandlerFunc {
	p := m.g.RefreshRequired(opts...)
	return func(c *echo.Context) error {
		res, err := m.g.Authenticate(stdhttp.Request{R: c.Request()}, stdhttp.Header(c.Response().Header()), p)
		if err != nil {
			return m.reject(c, p, err)
		}
		return write(c.Response(), m.g.RefreshReply(res))
	}
}

// LogoutHandler is [paseto.Guard.Logout] as an echo handler.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) echo.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *echo.Context, r stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.Logout(r, w, p)
	})
}

// KeySetHandler is [paseto.Guard.KeySet] as a echo handler, for GET [paseto.KeySetPath]: the public keys of a v4.public Auth, 404 otherwise.
func (m *Middleware) KeySetHandler() echo.HandlerFunc {
	return m.endpoint(nil, func(c *echo.Context, r stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.KeySet(), nil
	})
}

// SessionsHandler is [paseto.Guard.ListSessions] as an echo handler.
func (m *Middleware) SessionsHandler(opts ...paseto.RouteOption) echo.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *echo.Context, r stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.ListSessions(r, w, p)
	})
}

// RevokeSessionHandler is [paseto.Guard.RevokeSession] as an echo handler, for the session ID in the path parameter param ("id" for "/sessions/:id").
func (m *Middleware) RevokeSessionHandler(param string, opts ...paseto.RouteOption) echo.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *echo.Context, r stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeSession(r, w, p, c.Param(param))
	})
}

// RevokeOtherSessionsHandler is [paseto.Guard.RevokeOtherSessions] as an echo handler.
func (m *Middleware) RevokeOtherSessionsHandler(opts ...paseto.RouteOption) echo.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *echo.Context, r stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeOtherSessions(r, w, p)
	})
}

// endpoint is a complete endpoint under policy p: serve answers the
// request, or fails with the error the ErrorHandler answers.
func (m *Middleware) endpoint(p *paseto.Policy, serve func(c *echo.Context, r stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error)) echo.HandlerFunc {
	return func(c *echo.Context) error {
		reply, err := serve(c, stdhttp.Request{R: c.Request()}, stdhttp.Header(c.Response().Header()), p)
		if err != nil {
			return m.reject(c, p, err)
		}
		return write(c.Response(), reply)
	}
}

// Device is the request's [paseto.Device] for [paseto.LoginOptions]: its
// User-Agent and c.RealIP(), which trusts the Echo's IPExtractor (without
// one, the connection's peer address); IP is empty when that is not an IP
// address.
func Device(c *echo.Context) paseto.Device {
	return device.New(c.Request().UserAgent(), c.RealIP())
}

// FreshLogin answers a fresh-login request once the application has checked the credentials of subject: [paseto.Guard.FreshLoginFor] for the claims a Required route put in the context.
func (m *Middleware) FreshLogin(c *echo.Context, subject string) error {
	cl, _ := Claims(c)
	reply, err := m.g.FreshLoginFor(c.Request().Context(), stdhttp.Header(c.Response().Header()), cl, subject)
	if err != nil {
		return m.reject(c, nil, err)
	}
	return write(c.Response(), reply)
}

// LoginWithCookies is [paseto.Guard.LoginWithCookies] for an echo request.
func (m *Middleware) LoginWithCookies(c *echo.Context, subject string, o paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(c.Request().Context(), stdhttp.Header(c.Response().Header()), subject, o)
}

// ClearSessionCookies is [paseto.Guard.ClearSessionCookies] for an echo response.
func (m *Middleware) ClearSessionCookies(c *echo.Context) {
	m.g.ClearSessionCookies(stdhttp.Header(c.Response().Header()))
}

// reject sets the Problem's headers before the ErrorHandler runs, so that
// no handler loses the challenge.
func (m *Middleware) reject(c *echo.Context, p *paseto.Policy, err error) error {
	pr := m.g.ProblemFor(err, p)
	h := c.Response().Header()
	for _, f := range pr.Header() {
		h.Set(f.Name, f.Value)
	}
	return m.cfg.ErrorHandler(c, pr, err)
}

// write copies r to the response.
func write(w http.ResponseWriter, r paseto.Reply) error {
	h := w.Header()
	for _, f := range r.Header {
		h.Set(f.Name, f.Value)
	}
	w.WriteHeader(r.Status)
	if r.Body == nil {
		return nil
	}
	_, err := w.Write(r.Body)
	return err
}

func (m *Middleware) protect(p *paseto.Policy) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if m.cfg.Skipper != nil && m.cfg.Skipper(c) {
				return next(c)
			}
			req, w := c.Request(), c.Response()
			res, err := m.g.Authenticate(stdhttp.Request{R: req}, stdhttp.Header(w.Header()), p)
			if err != nil {
				return m.reject(c, p, err)
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
			// The implicit refresh of a cookie session runs just before the
			// status line is written (in a Before hook of the *echo.Response
			// that w unwraps to, after Status is set), so that a failed
			// response, including an error rendered by the HTTPErrorHandler,
			// never rotates the session. A writer that does not unwrap to
			// echo's Response gets no hook: the session is not rotated and
			// its cookies stay valid until they expire.
			resp, uerr := echo.UnwrapResponse(w)
			if uerr != nil {
				return next(c)
			}
			finish := func() { m.g.FinishImplicitRefresh(req.Context(), &res, resp.Status, stdhttp.Header(resp.Header())) }
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

// Context keys. echo v5 keys are strings; these are unexported and
// namespaced by import path, so they collide with nothing.
const (
	claimsKey = "github.com/pasetoauth/pasetoauth/adapters/echov5paseto.claims"
	pairKey   = "github.com/pasetoauth/pasetoauth/adapters/echov5paseto.pair"
)

// Claims returns the claims the middleware verified; false for an
// anonymous request on an Optional route or outside the middleware.
func Claims(c *echo.Context) (*paseto.Claims, bool) {
	cl, _ := c.Get(claimsKey).(*paseto.Claims)
	return cl, cl != nil
}

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(c *echo.Context) string {
	if cl, ok := Claims(c); ok {
		return cl.Subject
	}
	return ""
}

// TokenPair returns the pair minted by RefreshRequired.
func TokenPair(c *echo.Context) (*paseto.TokenPair, bool) {
	p, _ := c.Get(pairKey).(*paseto.TokenPair)
	return p, p != nil
}
