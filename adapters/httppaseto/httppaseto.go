// Package httppaseto protects net/http handlers, and routers built on
// net/http such as chi, with PASETO v4 tokens. It is glue only: the
// paseto.Guard decides; this package reads the request through a small view,
// puts the claims in the request context and renders the Guard's errors.
//
// Middleware is plain func(http.Handler) http.Handler, and handlers read the
// claims back with FromContext, as with go-chi/jwtauth:
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := httppaseto.New(guard)
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /me", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintln(w, "hello", httppaseto.Subject(r.Context()))
//	})))
//	mux.Handle("POST /account/delete", m.Fresh(5*time.Minute)(deleteAccount))
//	mux.Handle("POST /refresh", m.RefreshHandler())
//	mux.Handle("POST /logout", m.LogoutHandler())
package httppaseto

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/internal/stdhttp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// ErrorHandler answers a rejected request. Default DefaultErrorHandler.
	// Whatever it does, the protected handler does not run.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, p paseto.Problem, err error)
}

// Middleware builds net/http middleware and handlers from a paseto.Guard.
// Build it once; it is safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g, with the first cfg if given. It panics
// when g is nil, a programming error found at start-up.
func New(g *paseto.Guard, cfg ...Config) *Middleware {
	if g == nil {
		panic("httppaseto: nil *paseto.Guard")
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
// Retry-After delay when there are any, the status and the small JSON body.
// err is not written.
func DefaultErrorHandler(w http.ResponseWriter, _ *http.Request, p paseto.Problem, _ error) {
	h := w.Header()
	if p.Challenge != "" {
		h.Set("WWW-Authenticate", p.Challenge)
	}
	if p.RetryAfter != "" {
		h.Set("Retry-After", p.RetryAfter)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(p.Status)
	w.Write(p.Body.JSON())
}

// Required returns middleware that lets a request through only with a
// valid access token (paseto.Guard.Required).
func (m *Middleware) Required(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.Required(opts...))
}

// Fresh returns middleware that demands a fresh access token, minted by a
// login (not a refresh) and, with maxAge > 0, at most maxAge ago
// (paseto.Guard.Fresh).
func (m *Middleware) Fresh(maxAge time.Duration, opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.Fresh(maxAge, opts...))
}

// Optional returns middleware that lets anonymous requests through (no
// claims in the context) and puts the claims of a valid token in the
// context. A bad token is rejected unless opts has
// paseto.AnonymousOnInvalid.
func (m *Middleware) Optional(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired returns middleware for a refresh endpoint: it rotates
// the presented refresh token and puts the new pair (TokenPair) and the new
// access token's claims (FromContext) in the context for the next handler,
// which writes the response. With a cookie session the new cookies are
// already set.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.Refresh(opts...))
}

// RefreshHandler returns a complete refresh endpoint: RefreshRequired,
// then 200 with the OAuth 2.0 token response (paseto.Guard.RefreshReply),
// not cacheable.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) http.HandlerFunc {
	p := m.g.Refresh(opts...)
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := m.g.Authenticate(stdhttp.Request{R: r}, stdhttp.Header(w.Header()), p)
		if err != nil {
			m.cfg.ErrorHandler(w, r, m.g.ProblemFor(err, p), err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write(m.g.RefreshReply(res))
	}
}

// LogoutHandler returns a complete logout endpoint (paseto.Guard.Logout):
// it ends the session of the access token, authenticated as
// Required(opts...) does, or, when none valid arrives, of the refresh
// cookie; it expires the session cookies (kept on a 503, for a retry) and
// answers 204 No Content. For cookie sessions, mount it under
// CookieConfig.RefreshPath, so that the refresh cookie reaches it.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) http.HandlerFunc {
	p := m.g.Required(opts...)
	return func(w http.ResponseWriter, r *http.Request) {
		if err := m.g.Logout(stdhttp.Request{R: r}, stdhttp.Header(w.Header()), p); err != nil {
			m.cfg.ErrorHandler(w, r, m.g.ProblemFor(err, p), err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// LoginWithCookies starts a cookie session for subject, whose credentials
// the app has just checked: it sets the access, refresh and CSRF cookies on
// the response (paseto.Guard.LoginWithCookies). The returned session's CSRF
// value is also in the CSRF cookie; the client echoes it in the CSRF header
// on unsafe requests. It fails with paseto.ErrConfig when the Guard has no
// cookie configuration, and with the store's error when the session cannot
// be saved; then no cookie is set.
func (m *Middleware) LoginWithCookies(w http.ResponseWriter, r *http.Request, subject string, opts ...paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(r.Context(), stdhttp.Header(w.Header()), subject, opts...)
}

// ClearSessionCookies expires the access, refresh and CSRF cookies, as
// LogoutHandler does, for apps that end a session their own way.
func (m *Middleware) ClearSessionCookies(w http.ResponseWriter) {
	m.g.ClearSessionCookies(stdhttp.Header(w.Header()))
}

func (m *Middleware) protect(p *paseto.Policy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res, err := m.g.Authenticate(stdhttp.Request{R: r}, stdhttp.Header(w.Header()), p)
			if err != nil {
				m.cfg.ErrorHandler(w, r, m.g.ProblemFor(err, p), err)
				return
			}
			if res.Claims != nil || res.Pair != nil {
				r = r.WithContext(newContext(r.Context(), &res))
			}
			if !res.ImplicitRefreshDue() {
				next.ServeHTTP(w, r)
				return
			}
			rw := &refreshWriter{ResponseWriter: w, g: m.g, ctx: r.Context(), res: res}
			next.ServeHTTP(rw, r)
			// Nothing written: the server answers 200 with no body, past
			// the wrapper.
			rw.before(http.StatusOK)
		})
	}
}

// contextKey is an unexported pointer key, so no other package can read or
// overwrite the values.
type contextKey struct{ name string }

func (k *contextKey) String() string { return "httppaseto context value " + k.name }

var (
	claimsKey = &contextKey{"claims"}
	pairKey   = &contextKey{"token pair"}
)

func newContext(ctx context.Context, res *paseto.Result) context.Context {
	if res.Claims != nil {
		ctx = context.WithValue(ctx, claimsKey, res.Claims)
	}
	if res.Pair != nil {
		ctx = context.WithValue(ctx, pairKey, res.Pair)
	}
	return ctx
}

// FromContext returns the claims the middleware verified; false for an
// anonymous request on an Optional route or outside the middleware.
func FromContext(ctx context.Context) (*paseto.Claims, bool) {
	c, _ := ctx.Value(claimsKey).(*paseto.Claims)
	return c, c != nil
}

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(ctx context.Context) string {
	if c, ok := FromContext(ctx); ok {
		return c.Subject
	}
	return ""
}

// TokenPair returns the pair minted by RefreshRequired.
func TokenPair(ctx context.Context) (*paseto.TokenPair, bool) {
	p, _ := ctx.Value(pairKey).(*paseto.TokenPair)
	return p, p != nil
}

// refreshWriter runs the implicit refresh of a cookie session just before
// the status line is written, so that a failed response never rotates the
// session: its new cookies would reach a client that may never see them.
type refreshWriter struct {
	http.ResponseWriter
	g    *paseto.Guard
	ctx  context.Context
	res  paseto.Result
	done bool
}

func (w *refreshWriter) before(status int) {
	if !w.done {
		w.done = true
		w.g.FinishImplicitRefresh(w.ctx, &w.res, status, stdhttp.Header(w.ResponseWriter.Header()))
	}
}

func (w *refreshWriter) WriteHeader(status int) {
	if status >= 200 { // informational answers (103 Early Hints) come before the real one
		w.before(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *refreshWriter) Write(b []byte) (int, error) {
	w.before(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for streaming handlers.
func (w *refreshWriter) Flush() {
	w.before(http.StatusOK)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over (WebSocket); nothing is rotated then.
func (w *refreshWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.done = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *refreshWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
