// Package ginpaseto protects gin routes with PASETO v4 tokens. It is glue
// only: the paseto.Guard decides; this package reads the request through a
// small view, puts the claims in the gin context and renders the Guard's
// errors, aborting the chain so later handlers never run.
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := ginpaseto.New(guard, ginpaseto.Config{})
//
//	r := gin.New()
//	r.GET("/me", m.Required(), func(c *gin.Context) {
//		c.JSON(http.StatusOK, gin.H{"user": ginpaseto.Subject(c)})
//	})
//	r.POST("/account/delete", m.FreshRequired(paseto.WithMaxAge(5*time.Minute)), deleteAccount)
//	r.POST("/refresh", m.RefreshHandler())
//	r.POST("/logout", m.LogoutHandler())
//	r.GET("/sessions", m.SessionsHandler())
//	r.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
//	r.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())
//
// A login handler passes ginpaseto.Device(c) in
// paseto.LoginOptions.Device, so that the session list shows the client
// each session was opened from.
package ginpaseto

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/internal/device"
	"github.com/pasetoauth/pasetoauth/adapters/internal/stdhttp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Skipper, when it returns true, lets the request through untouched.
	// It does not apply to the complete endpoints (RefreshHandler,
	// LogoutHandler and the session handlers).
	Skipper func(c *gin.Context) bool
	// ErrorHandler answers a rejected request. Default DefaultErrorHandler.
	// Before it runs, the error is recorded with c.Error, the chain is
	// aborted, so later handlers never run whatever it does, and the
	// Problem's Header (the challenge, Retry-After) is set on the response.
	ErrorHandler func(c *gin.Context, p paseto.Problem, err error)
}

// Middleware builds gin handlers from a paseto.Guard. Build it once; it is
// safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g. It panics when g is nil, a programming
// error found at start-up.
func New(g *paseto.Guard, cfg Config) *Middleware {
	if g == nil {
		panic("ginpaseto: nil *paseto.Guard")
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = DefaultErrorHandler
	}
	return &Middleware{g: g, cfg: cfg}
}

// DefaultErrorHandler writes p.Reply(): the status, the WWW-Authenticate
// challenge and the Retry-After delay when there are any, and the small
// JSON body (as c.AbortWithStatusJSON would, without reflection). err is
// not written. A custom ErrorHandler may call it to render the usual
// answer.
func DefaultErrorHandler(c *gin.Context, p paseto.Problem, _ error) {
	write(c, p.Reply())
}

// Required is [paseto.Guard.Required] as gin middleware.
func (m *Middleware) Required(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.Required(opts...))
}

// FreshRequired is [paseto.Guard.FreshRequired] as gin middleware.
func (m *Middleware) FreshRequired(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.FreshRequired(opts...))
}

// Optional is [paseto.Guard.Optional] as gin middleware.
func (m *Middleware) Optional(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired is [paseto.Guard.RefreshRequired] as gin middleware.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.RefreshRequired(opts...))
}

// RefreshHandler is [paseto.Guard.RefreshRequired] answered with [paseto.Guard.RefreshReply], as a gin handler.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) gin.HandlerFunc {
	p := m.g.RefreshRequired(opts...)
	return func(c *gin.Context) {
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			m.reject(c, p, err)
			return
		}
		write(c, m.g.RefreshReply(res))
	}
}

// LogoutHandler is [paseto.Guard.Logout] as a gin handler.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *gin.Context, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.Logout(v, v, p)
	})
}

// KeySetHandler is [paseto.Guard.KeySet] as a gin handler, for GET [paseto.KeySetPath]: the public keys of a v4.public Auth, 404 otherwise.
func (m *Middleware) KeySetHandler() gin.HandlerFunc {
	return m.endpoint(nil, func(c *gin.Context, v view, p *paseto.Policy) (paseto.Reply, error) { return m.g.KeySet(), nil })
}

// SessionsHandler is [paseto.Guard.ListSessions] as a gin handler.
func (m *Middleware) SessionsHandler(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *gin.Context, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.ListSessions(v, v, p)
	})
}

// RevokeSessionHandler is [paseto.Guard.RevokeSession] as a gin handler, for the session ID in the path parameter param ("id" for "/sessions/:id").
func (m *Middleware) RevokeSessionHandler(param string, opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *gin.Context, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeSession(v, v, p, c.Param(param))
	})
}

// RevokeOtherSessionsHandler is [paseto.Guard.RevokeOtherSessions] as a gin handler.
func (m *Middleware) RevokeOtherSessionsHandler(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(c *gin.Context, v view, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeOtherSessions(v, v, p)
	})
}

// endpoint is a complete endpoint under policy p: serve answers the
// request, or fails with the error the ErrorHandler answers.
func (m *Middleware) endpoint(p *paseto.Policy, serve func(c *gin.Context, v view, p *paseto.Policy) (paseto.Reply, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := view{c}
		reply, err := serve(c, v, p)
		if err != nil {
			m.reject(c, p, err)
			return
		}
		write(c, reply)
	}
}

// Device is the request's [paseto.Device] for [paseto.LoginOptions]: its
// User-Agent and c.ClientIP(), which trusts the engine's proxy settings
// (SetTrustedProxies, TrustedPlatform; gin trusts every proxy until told
// otherwise); IP is empty when that is not an IP address.
func Device(c *gin.Context) paseto.Device {
	return device.New(c.Request.UserAgent(), c.ClientIP())
}

// FreshLogin answers a fresh-login request once the application has checked the credentials of subject: [paseto.Guard.FreshLoginFor] for the claims a Required route put in the context.
func (m *Middleware) FreshLogin(c *gin.Context, subject string) {
	cl, _ := Claims(c)
	reply, err := m.g.FreshLoginFor(c.Request.Context(), view{c}, cl, subject)
	if err != nil {
		m.reject(c, nil, err)
		return
	}
	write(c, reply)
}

// LoginWithCookies is [paseto.Guard.LoginWithCookies] for a gin request.
func (m *Middleware) LoginWithCookies(c *gin.Context, subject string, o paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(c.Request.Context(), view{c}, subject, o)
}

// ClearSessionCookies is [paseto.Guard.ClearSessionCookies] for a gin response.
func (m *Middleware) ClearSessionCookies(c *gin.Context) {
	m.g.ClearSessionCookies(view{c})
}

func (m *Middleware) protect(p *paseto.Policy) gin.HandlerFunc {
	return func(c *gin.Context) {
		if m.cfg.Skipper != nil && m.cfg.Skipper(c) {
			c.Next()
			return
		}
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			m.reject(c, p, err)
			return
		}
		if res.Claims != nil {
			c.Set(claimsKey, res.Claims)
		}
		if res.Pair != nil {
			c.Set(pairKey, res.Pair)
		}
		if !res.ImplicitRefreshDue() {
			c.Next()
			return
		}
		rw := &refreshWriter{ResponseWriter: c.Writer, g: m.g, c: c, res: res}
		c.Writer = rw
		c.Next()
		// Nothing written yet (a handler that only set a status): gin
		// writes the header after the chain, past the wrapper.
		rw.before()
		if c.Writer == rw {
			c.Writer = rw.ResponseWriter
		}
	}
}

// reject records err, aborts the chain and sets the Problem's headers
// before the ErrorHandler runs, so that no handler loses the challenge.
func (m *Middleware) reject(c *gin.Context, p *paseto.Policy, err error) {
	_ = c.Error(err)
	c.Abort()
	pr := m.g.ProblemFor(err, p)
	for _, h := range pr.Header() {
		c.Header(h.Name, h.Value)
	}
	m.cfg.ErrorHandler(c, pr, err)
}

// write copies r to the response.
func write(c *gin.Context, r paseto.Reply) {
	for _, h := range r.Header {
		c.Header(h.Name, h.Value)
	}
	c.Status(r.Status)
	c.Writer.WriteHeaderNow()
	if r.Body != nil {
		_, _ = c.Writer.Write(r.Body)
	}
}

// contextKey is unexported, so no other package can read or overwrite the
// values (gin >= 1.11 accepts any comparable key).
type contextKey uint8

const (
	claimsKey contextKey = iota
	pairKey
)

// Claims returns the claims the middleware verified; false for an
// anonymous request on an Optional route or outside the middleware.
func Claims(c *gin.Context) (*paseto.Claims, bool) {
	v, _ := c.Get(claimsKey)
	cl, _ := v.(*paseto.Claims)
	return cl, cl != nil
}

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(c *gin.Context) string {
	if cl, ok := Claims(c); ok {
		return cl.Subject
	}
	return ""
}

// TokenPair returns the pair minted by RefreshRequired.
func TokenPair(c *gin.Context) (*paseto.TokenPair, bool) {
	v, _ := c.Get(pairKey)
	p, _ := v.(*paseto.TokenPair)
	return p, p != nil
}

// view is the paseto.Request and paseto.Response view of a gin context. It
// holds one pointer, so passing it as an interface does not allocate.
type view struct{ c *gin.Context }

func (v view) Context() context.Context          { return v.c.Request.Context() }
func (v view) Method() string                    { return v.c.Request.Method }
func (v view) HeaderValues(name string) []string { return v.c.Request.Header.Values(name) }
func (v view) Query(name string) string          { return v.c.Query(name) }
func (v view) AddHeader(name, value string)      { v.c.Writer.Header().Add(name, value) }

// Cookie reads the raw value: gin's c.Cookie would also URL-unescape it.
func (v view) Cookie(name string) string {
	ck, err := v.c.Request.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

func (v view) Body(limit int64) ([]byte, error) { return stdhttp.ReadBody(&v.c.Request.Body, limit) }

// refreshWriter runs the implicit refresh of a cookie session just before
// the status line is written, so that a failed response never rotates the
// session. gin's WriteHeader only records the status; the header goes out
// in WriteHeaderNow, Write, WriteString or Flush.
type refreshWriter struct {
	gin.ResponseWriter
	g    *paseto.Guard
	c    *gin.Context
	res  paseto.Result
	done bool
}

func (w *refreshWriter) before() {
	if !w.done && !w.ResponseWriter.Written() {
		w.done = true
		w.g.FinishImplicitRefresh(w.c.Request.Context(), &w.res, w.ResponseWriter.Status(), view{w.c})
	}
}

func (w *refreshWriter) WriteHeaderNow() {
	w.before()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *refreshWriter) Write(b []byte) (int, error) {
	w.before()
	return w.ResponseWriter.Write(b)
}

func (w *refreshWriter) WriteString(s string) (int, error) {
	w.before()
	return w.ResponseWriter.WriteString(s)
}

func (w *refreshWriter) Flush() {
	w.before()
	w.ResponseWriter.Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *refreshWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
