// Package ginpaseto protects gin routes with PASETO v4 tokens. It is glue
// only: the paseto.Guard decides; this package reads the request through a
// small view, puts the claims in the gin context and renders the Guard's
// errors, aborting the chain so later handlers never run.
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := ginpaseto.New(guard)
//
//	r := gin.New()
//	r.GET("/me", m.Required(), func(c *gin.Context) {
//		c.JSON(http.StatusOK, gin.H{"user": ginpaseto.Subject(c)})
//	})
//	r.POST("/account/delete", m.Fresh(5*time.Minute), deleteAccount)
//	r.POST("/refresh", m.RefreshHandler())
//	r.POST("/logout", m.LogoutHandler())
package ginpaseto

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/internal/stdhttp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Skipper, when it returns true, lets the request through untouched.
	// It does not apply to RefreshHandler and LogoutHandler.
	Skipper func(c *gin.Context) bool
	// ErrorHandler answers a rejected request. Default DefaultErrorHandler.
	// Before it runs, the error is recorded with c.Error and the chain is
	// aborted, so later handlers never run whatever it does.
	ErrorHandler func(c *gin.Context, p paseto.Problem, err error)
}

// Middleware builds gin handlers from a paseto.Guard. Build it once; it is
// safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g, with the first cfg if given. It panics
// when g is nil, a programming error found at start-up.
func New(g *paseto.Guard, cfg ...Config) *Middleware {
	if g == nil {
		panic("ginpaseto: nil *paseto.Guard")
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

// DefaultErrorHandler writes p: the WWW-Authenticate challenge and the
// Retry-After delay when there are any, the status and the small JSON body
// (as c.AbortWithStatusJSON would, without reflection). err is not written.
func DefaultErrorHandler(c *gin.Context, p paseto.Problem, _ error) {
	if p.Challenge != "" {
		c.Header("WWW-Authenticate", p.Challenge)
	}
	if p.RetryAfter != "" {
		c.Header("Retry-After", p.RetryAfter)
	}
	c.Data(p.Status, "application/json", p.Body.JSON())
}

// Required returns a handler that lets a request through only with a
// valid access token (paseto.Guard.Required).
func (m *Middleware) Required(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.Required(opts...))
}

// Fresh returns a handler that demands a fresh access token, minted by a
// login (not a refresh) and, with maxAge > 0, at most maxAge ago
// (paseto.Guard.Fresh).
func (m *Middleware) Fresh(maxAge time.Duration, opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.Fresh(maxAge, opts...))
}

// Optional returns a handler that lets anonymous requests through (no
// claims in the context) and puts the claims of a valid token in the
// context. A bad token is rejected unless opts has
// paseto.AnonymousOnInvalid.
func (m *Middleware) Optional(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired returns a handler for a refresh endpoint: it rotates the
// presented refresh token and puts the new pair (TokenPair) and the new
// access token's claims (Claims) in the context for the next handler, which
// writes the response. With a cookie session the new cookies are already
// set.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) gin.HandlerFunc {
	return m.protect(m.g.Refresh(opts...))
}

// RefreshHandler returns a complete refresh endpoint: RefreshRequired,
// then 200 with the OAuth 2.0 token response (paseto.Guard.RefreshReply),
// not cacheable.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) gin.HandlerFunc {
	p := m.g.Refresh(opts...)
	return func(c *gin.Context) {
		v := view{c}
		res, err := m.g.Authenticate(v, v, p)
		if err != nil {
			m.reject(c, p, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusOK, "application/json", m.g.RefreshReply(res))
	}
}

// LogoutHandler returns a complete logout endpoint (paseto.Guard.Logout):
// it ends the session of the access token, authenticated as
// Required(opts...) does, or, when none valid arrives, of the refresh
// cookie; it expires the session cookies (kept on a 503, for a retry) and
// answers 204 No Content. For cookie sessions, mount it under
// CookieConfig.RefreshPath, so that the refresh cookie reaches it.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) gin.HandlerFunc {
	p := m.g.Required(opts...)
	return func(c *gin.Context) {
		v := view{c}
		if err := m.g.Logout(v, v, p); err != nil {
			m.reject(c, p, err)
			return
		}
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
	}
}

// LoginWithCookies starts a cookie session for subject, whose credentials
// the app has just checked: it sets the access, refresh and CSRF cookies on
// the response (paseto.Guard.LoginWithCookies). The returned session's CSRF
// value is also in the CSRF cookie; the client echoes it in the CSRF header
// on unsafe requests. It fails with paseto.ErrConfig when the Guard has no
// cookie configuration, and with the store's error when the session cannot
// be saved; then no cookie is set.
func (m *Middleware) LoginWithCookies(c *gin.Context, subject string, opts ...paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(c.Request.Context(), view{c}, subject, opts...)
}

// ClearSessionCookies expires the access, refresh and CSRF cookies, as
// LogoutHandler does, for apps that end a session their own way.
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

func (m *Middleware) reject(c *gin.Context, p *paseto.Policy, err error) {
	_ = c.Error(err)
	c.Abort()
	m.cfg.ErrorHandler(c, m.g.ProblemFor(err, p), err)
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
