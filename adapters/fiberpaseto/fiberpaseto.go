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
//	m := fiberpaseto.New(guard, fiberpaseto.Config{})
//
//	app := fiber.New()
//	app.Get("/me", m.Required(), func(c *fiber.Ctx) error {
//		return c.JSON(fiber.Map{"user": fiberpaseto.Subject(c)})
//	})
//	app.Post("/account/delete", m.FreshRequired(paseto.WithMaxAge(5*time.Minute)), deleteAccount)
//	app.Post("/refresh", m.RefreshHandler())
//	app.Post("/logout", m.LogoutHandler())
//	app.Get("/sessions", m.SessionsHandler())
//	app.Delete("/sessions/:id", m.RevokeSessionHandler("id"))
//	app.Post("/sessions/revoke-others", m.RevokeOtherSessionsHandler())
//
// A login handler passes fiberpaseto.Device(c) in
// paseto.LoginOptions.Device, so that the session list shows the client
// each session was opened from.
//
// fasthttp reuses request memory once the handler returns. The view hands
// the core request-backed strings, which it uses only during the call;
// nothing this package keeps past the request points into the request (the
// claims are decoded from the decrypted payload, the token pair is newly
// minted, the session ID RevokeSessionHandler passes on and the strings of
// Device are copies). Copy request strings of your own with
// utils.CopyString, or set fiber.Config.Immutable.
//
// A token in the Authorization header can be several KiB: with fiber's
// default ReadBufferSize (4096) fasthttp answers 431 before any handler runs
// when the request headers do not fit. Raise fiber.Config.ReadBufferSize if
// your tokens carry many claims.
package fiberpaseto

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/pasetoauth/pasetoauth/adapters/internal/device"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Next, when it returns true, skips the middleware (c.Next()). It does
	// not apply to the complete endpoints (RefreshHandler, LogoutHandler
	// and the session handlers).
	Next func(c *fiber.Ctx) bool
	// ErrorHandler answers a rejected request; what it returns is what the
	// handler returns. Default DefaultErrorHandler; ReturnFiberError hands
	// the error to fiber.Config.ErrorHandler instead. The Problem's Header
	// (the challenge, Retry-After) is already set on the response when it
	// runs. Whatever it does, the next handler does not run.
	ErrorHandler func(c *fiber.Ctx, p paseto.Problem, err error) error
}

// ConfigDefault holds the defaults New fills in for zero Config fields.
var ConfigDefault = Config{ErrorHandler: DefaultErrorHandler}

// Middleware builds fiber handlers from a paseto.Guard. Build it once; it
// is safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g; the zero fields of cfg are those of
// ConfigDefault. It panics when g is nil, a programming error found at
// start-up.
func New(g *paseto.Guard, cfg Config) *Middleware {
	if g == nil {
		panic("fiberpaseto: nil *paseto.Guard")
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = ConfigDefault.ErrorHandler
	}
	return &Middleware{g: g, cfg: cfg}
}

// DefaultErrorHandler writes p.Reply(): the status, the WWW-Authenticate
// challenge and the Retry-After delay when there are any, and the small
// JSON body, and returns nil. err is not written. A custom ErrorHandler
// may call it to render the usual answer.
func DefaultErrorHandler(c *fiber.Ctx, p paseto.Problem, _ error) error {
	return write(c, p.Reply())
}

// ReturnFiberError is an ErrorHandler for apps that render every error in
// fiber.Config.ErrorHandler: it sets p.Header() (the WWW-Authenticate
// challenge and the Retry-After delay, when there are any) and returns a
// *fiber.Error with p's status and message (never the cause's text, which
// may name library internals).
func ReturnFiberError(c *fiber.Ctx, p paseto.Problem, _ error) error {
	for _, h := range p.Header() {
		c.Set(h.Name, h.Value)
	}
	return fiber.NewError(p.Status, p.Body.Message)
}

// Required is [paseto.Guard.Required] as a fiber handler.
func (m *Middleware) Required(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.Required(opts...))
}

// FreshRequired is [paseto.Guard.FreshRequired] as a fiber handler.
func (m *Middleware) FreshRequired(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.FreshRequired(opts...))
}

// Optional is [paseto.Guard.Optional] as a fiber handler.
func (m *Middleware) Optional(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired is [paseto.Guard.RefreshRequired] as a fiber handler.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) fiber.Handler {
	return m.protect(m.g.RefreshRequired(opts...))
}

// RefreshHandler is [paseto.Guard.RefreshRequired] answered with [paseto.Guard.RefreshReply], as a fiber handler.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) fiber.Handler {
	p := m.g.RefreshRequired(opts...)
	return func(c *fiber.Ctx) error {
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			return m.reject(c, p, err)
		}
		return write(c, m.g.RefreshReply(res))
	}
}

// LogoutHandler is [paseto.Guard.Logout] as a fiber handler.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) fiber.Handler {
	return m.endpoint(m.g.Required(opts...), func(c *fiber.Ctx, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.Logout(v, v, p)
	})
}

// KeySetHandler is [paseto.Guard.KeySet] as a fiber handler, for GET [paseto.KeySetPath]: the public keys of a v4.public Auth, 404 otherwise.
func (m *Middleware) KeySetHandler() fiber.Handler {
	return m.endpoint(nil, func(c *fiber.Ctx, v view, p *paseto.Policy) (paseto.Reply, error) { return m.g.KeySet(), nil })
}

// SessionsHandler is [paseto.Guard.ListSessions] as a fiber handler.
func (m *Middleware) SessionsHandler(opts ...paseto.RouteOption) fiber.Handler {
	return m.endpoint(m.g.Required(opts...), func(c *fiber.Ctx, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.ListSessions(v, v, p)
	})
}

// RevokeSessionHandler is [paseto.Guard.RevokeSession] as a fiber handler, for the session ID in the path parameter param ("id" for "/sessions/:id").
func (m *Middleware) RevokeSessionHandler(param string, opts ...paseto.RouteOption) fiber.Handler {
	return m.endpoint(m.g.Required(opts...), func(c *fiber.Ctx, v view, p *paseto.Policy) (paseto.Reply, error) {
		// Copied: the core passes the ID on (security events, the store).
		return m.g.RevokeSession(v, v, p, utils.CopyString(c.Params(param)))
	})
}

// RevokeOtherSessionsHandler is [paseto.Guard.RevokeOtherSessions] as a fiber handler.
func (m *Middleware) RevokeOtherSessionsHandler(opts ...paseto.RouteOption) fiber.Handler {
	return m.endpoint(m.g.Required(opts...), func(c *fiber.Ctx, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeOtherSessions(v, v, p)
	})
}

// endpoint is a complete endpoint under policy p: serve answers the
// request, or fails with the error the ErrorHandler answers.
func (m *Middleware) endpoint(p *paseto.Policy, serve func(c *fiber.Ctx, v view, p *paseto.Policy) (paseto.Reply, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		reply, err := serve(c, view{c}, p)
		if err != nil {
			return m.reject(c, p, err)
		}
		return write(c, reply)
	}
}

// Device is the request's [paseto.Device] for [paseto.LoginOptions]: its
// User-Agent and c.IP(), which trusts the app's proxy settings
// (fiber.Config.ProxyHeader, EnableTrustedProxyCheck and TrustedProxies);
// IP is empty when that is not an IP address. The strings are copied:
// they stay valid after the handler returns.
func Device(c *fiber.Ctx) paseto.Device {
	return device.New(c.Get(fiber.HeaderUserAgent), c.IP())
}

// FreshLogin answers a fresh-login request once the application has checked the credentials of subject: [paseto.Guard.FreshLoginFor] for the claims a Required route put in the context.
func (m *Middleware) FreshLogin(c *fiber.Ctx, subject string) error {
	cl, _ := Claims(c)
	reply, err := m.g.FreshLoginFor(c.UserContext(), view{c}, cl, subject)
	if err != nil {
		return m.reject(c, nil, err)
	}
	return write(c, reply)
}

// LoginWithCookies is [paseto.Guard.LoginWithCookies] for a fiber request.
func (m *Middleware) LoginWithCookies(c *fiber.Ctx, subject string, o paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(c.UserContext(), view{c}, subject, o)
}

// ClearSessionCookies is [paseto.Guard.ClearSessionCookies] for a fiber response.
func (m *Middleware) ClearSessionCookies(c *fiber.Ctx) {
	m.g.ClearSessionCookies(view{c})
}

// reject sets the Problem's headers before the ErrorHandler runs, so that
// no handler loses the challenge.
func (m *Middleware) reject(c *fiber.Ctx, p *paseto.Policy, err error) error {
	pr := m.g.ProblemFor(err, p)
	for _, h := range pr.Header() {
		c.Set(h.Name, h.Value)
	}
	return m.cfg.ErrorHandler(c, pr, err)
}

// write copies r to the response.
func write(c *fiber.Ctx, r paseto.Reply) error {
	for _, h := range r.Header {
		c.Set(h.Name, h.Value)
	}
	return c.Status(r.Status).Send(r.Body)
}

func (m *Middleware) protect(p *paseto.Policy) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if m.cfg.Next != nil && m.cfg.Next(c) {
			return c.Next()
		}
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			return m.reject(c, p, err)
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
