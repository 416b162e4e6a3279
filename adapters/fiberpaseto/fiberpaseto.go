// Package fiberpaseto protects fiber v2 routes with PASETO v4 tokens. It is
// glue only: the paseto.Guard decides; this package reads the request
// through a small view, puts the claims in c.Locals and hands the Guard's
// errors to Config.ErrorHandler, in the habits of fiber's keyauth
// middleware.
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := fiberpaseto.New(guard)
//
//	app := fiber.New()
//	app.Get("/me", m.Required(), func(c *fiber.Ctx) error {
//		return c.JSON(fiber.Map{"user": fiberpaseto.Subject(c)})
//	})
//	app.Post("/account/delete", m.Fresh(5*time.Minute), deleteAccount)
//	app.Post("/refresh", m.RefreshHandler())
//	app.Post("/logout", m.LogoutHandler())
//
// fasthttp reuses request memory once the handler returns. The view hands
// the core request-backed strings, which it uses only during the call;
// nothing this package keeps past the request points into the request (the
// claims are decoded from the decrypted payload, the token pair is newly
// minted). Copy request strings of your own with utils.CopyString, or set
// fiber.Config.Immutable.
//
// A token in the Authorization header can be several KiB: with fiber's
// default ReadBufferSize (4096) fasthttp answers 431 before any handler runs
// when the request headers do not fit. Raise fiber.Config.ReadBufferSize if
// your tokens carry many claims.
package fiberpaseto

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Next, when it returns true, skips the middleware (c.Next()). It does
	// not apply to RefreshHandler and LogoutHandler.
	Next func(c *fiber.Ctx) bool
	// ErrorHandler answers a rejected request; what it returns is what the
	// handler returns. Default DefaultErrorHandler; ReturnFiberError hands
	// the error to fiber.Config.ErrorHandler instead. Whatever it does, the
	// next handler does not run.
	ErrorHandler func(c *fiber.Ctx, p paseto.Problem, err error) error
}

// ConfigDefault is the configuration New uses when given none.
var ConfigDefault = Config{ErrorHandler: DefaultErrorHandler}

// Middleware builds fiber handlers from a paseto.Guard. Build it once; it
// is safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g, with the first cfg if given. It panics
// when g is nil, a programming error found at start-up.
func New(g *paseto.Guard, cfg ...Config) *Middleware {
	if g == nil {
		panic("fiberpaseto: nil *paseto.Guard")
	}
	c := ConfigDefault
	if len(cfg) > 0 {
		c = cfg[0]
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = ConfigDefault.ErrorHandler
	}
	return &Middleware{g: g, cfg: c}
}

// DefaultErrorHandler writes p: the status, the WWW-Authenticate challenge
// and the Retry-After delay when there are any, and the small JSON body,
// and returns nil. err is not written.
func DefaultErrorHandler(c *fiber.Ctx, p paseto.Problem, _ error) error {
	if p.Challenge != "" {
		c.Set(fiber.HeaderWWWAuthenticate, p.Challenge)
	}
	if p.RetryAfter != "" {
		c.Set(fiber.HeaderRetryAfter, p.RetryAfter)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(p.Status).Send(p.Body.JSON())
}

// ReturnFiberError is an ErrorHandler for apps that render every error in
// fiber.Config.ErrorHandler: it sets the WWW-Authenticate challenge and the
// Retry-After delay, when there are any, and returns a *fiber.Error with p's status and message (never the cause's
// text, which may name library internals).
func ReturnFiberError(c *fiber.Ctx, p paseto.Problem, _ error) error {
	if p.Challenge != "" {
		c.Set(fiber.HeaderWWWAuthenticate, p.Challenge)
	}
	if p.RetryAfter != "" {
		c.Set(fiber.HeaderRetryAfter, p.RetryAfter)
	}
	return fiber.NewError(p.Status, p.Body.Message)
}

// Required returns a handler that lets a request through only with a
// valid access token (paseto.Guard.Required).
func (m *Middleware) Required(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.Required(opts...))
}

// Fresh returns a handler that demands a fresh access token, minted by a
// login (not a refresh) and, with maxAge > 0, at most maxAge ago
// (paseto.Guard.Fresh).
func (m *Middleware) Fresh(maxAge time.Duration, opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.Fresh(maxAge, opts...))
}

// Optional returns a handler that lets anonymous requests through (no
// claims in the context) and puts the claims of a valid token in the
// context. A bad token is rejected unless opts has
// paseto.AnonymousOnInvalid.
func (m *Middleware) Optional(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired returns a handler for a refresh endpoint: it rotates the
// presented refresh token and puts the new pair (TokenPair) and the new
// access token's claims (Claims) in the context for the next handler, which
// writes the response. With a cookie session the new cookies are already
// set.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.Refresh(opts...))
}

// RefreshHandler returns a complete refresh endpoint: RefreshRequired,
// then 200 with the OAuth 2.0 token response (paseto.Guard.RefreshReply),
// not cacheable.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) fiber.Handler {
	p := m.g.Refresh(opts...)
	return func(c *fiber.Ctx) error {
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			return m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(fiber.StatusOK).Send(m.g.RefreshReply(res))
	}
}

// LogoutHandler returns a complete logout endpoint (paseto.Guard.Logout):
// it ends the session of the access token, authenticated as
// Required(opts...) does, or, when none valid arrives, of the refresh
// cookie; it expires the session cookies (kept on a 503, for a retry) and
// answers 204 No Content. For cookie sessions, mount it under
// CookieConfig.RefreshPath, so that the refresh cookie reaches it.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) fiber.Handler {
	p := m.g.Required(opts...)
	return func(c *fiber.Ctx) error {
		v := view{c}
		if err := m.g.Logout(v, v, p); err != nil {
			return m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// LoginWithCookies starts a cookie session for subject, whose credentials
// the app has just checked: it sets the access, refresh and CSRF cookies on
// the response (paseto.Guard.LoginWithCookies). The returned session's CSRF
// value is also in the CSRF cookie; the client echoes it in the CSRF header
// on unsafe requests. It fails with paseto.ErrConfig when the Guard has no
// cookie configuration, and with the store's error when the session cannot
// be saved; then no cookie is set.
func (m *Middleware) LoginWithCookies(c *fiber.Ctx, subject string, opts ...paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(c.UserContext(), view{c}, subject, opts...)
}

// ClearSessionCookies expires the access, refresh and CSRF cookies, as
// LogoutHandler does, for apps that end a session their own way.
func (m *Middleware) ClearSessionCookies(c *fiber.Ctx) {
	m.g.ClearSessionCookies(view{c})
}

func (m *Middleware) protect(p *paseto.Policy) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if m.cfg.Next != nil && m.cfg.Next(c) {
			return c.Next()
		}
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			return m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
		}
		if res.Claims != nil {
			c.Locals(claimsKey, res.Claims)
		}
		if res.Pair != nil {
			c.Locals(pairKey, res.Pair)
		}
		if !res.ImplicitRefreshDue() {
			return c.Next()
		}
		// fasthttp buffers the response: its status is final once the rest
		// of the chain has returned, and nothing has been sent yet. An
		// error return is rendered later by the app's ErrorHandler, as a
		// failure, so it never rotates.
		if err := c.Next(); err != nil {
			return err
		}
		m.g.FinishImplicitRefresh(c.UserContext(), &res, c.Response().StatusCode(), v)
		return nil
	}
}

// contextKey is unexported, so no other package can read or overwrite the
// values.
type contextKey uint8

const (
	claimsKey contextKey = iota
	pairKey
)

// Claims returns the claims the middleware verified; false for an
// anonymous request on an Optional route or outside the middleware.
func Claims(c *fiber.Ctx) (*paseto.Claims, bool) {
	cl, _ := c.Locals(claimsKey).(*paseto.Claims)
	return cl, cl != nil
}

// Subject returns the verified token's subject (the user), or "" when
// there are no claims. The string is not backed by the request: it stays
// valid after the handler returns.
func Subject(c *fiber.Ctx) string {
	if cl, ok := Claims(c); ok {
		return cl.Subject
	}
	return ""
}

// TokenPair returns the pair minted by RefreshRequired.
func TokenPair(c *fiber.Ctx) (*paseto.TokenPair, bool) {
	p, _ := c.Locals(pairKey).(*paseto.TokenPair)
	return p, p != nil
}

// view is the paseto.Request and paseto.Response view of a fiber context.
// It holds one pointer, so passing it as an interface does not allocate.
// Its strings are backed by the fasthttp request: valid during the call
// only, which is all the core needs (it clones what it keeps).
type view struct{ c *fiber.Ctx }

func (v view) Context() context.Context     { return v.c.UserContext() }
func (v view) Method() string               { return v.c.Method() }
func (v view) Cookie(name string) string    { return v.c.Cookies(name) }
func (v view) Query(name string) string     { return v.c.Query(name) }
func (v view) AddHeader(name, value string) { v.c.Response().Header.Add(name, value) }

func (v view) HeaderValues(name string) []string {
	all := v.c.Request().Header.PeekAll(name)
	if len(all) == 0 {
		return nil
	}
	out := make([]string, len(all))
	for i, b := range all {
		out[i] = utils.UnsafeString(b)
	}
	return out
}

var errBodyTooLarge = errors.New("request body too large")

// Body returns the raw body: c.Body would first decompress a
// Content-Encoding body without a bound.
func (v view) Body(limit int64) ([]byte, error) {
	b := v.c.BodyRaw()
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}
