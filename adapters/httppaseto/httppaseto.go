// Package httppaseto protects net/http handlers, and routers built on
// net/http such as chi, with PASETO v4 tokens. It is glue only: the
// paseto.Guard decides; this package reads the request through a small view,
// puts the claims in the request context and renders the Guard's errors.
//
// Middleware is plain func(http.Handler) http.Handler, and handlers read the
// claims back with Claims (or FromContext, as with go-chi/jwtauth):
//
//	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	m := httppaseto.New(guard, httppaseto.Config{})
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /me", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintln(w, "hello", httppaseto.Subject(r.Context()))
//	})))
//	mux.Handle("POST /account/delete", m.FreshRequired(paseto.WithMaxAge(5*time.Minute))(deleteAccount))
//	mux.Handle("POST /refresh", m.RefreshHandler())
//	mux.Handle("POST /logout", m.LogoutHandler())
//	mux.Handle("GET /sessions", m.SessionsHandler())
//	mux.Handle("DELETE /sessions/{id}", m.RevokeSessionHandler("id"))
//	mux.Handle("POST /sessions/revoke-others", m.RevokeOtherSessionsHandler())
//
// A login handler passes httppaseto.Device(r) in
// paseto.LoginOptions.Device, so that the session list shows the client
// each session was opened from.
package httppaseto

import (
	"bufio"
	"context"
	"net"
	"net/http"

	"github.com/pasetoauth/pasetoauth/adapters/internal/claimsctx"
	"github.com/pasetoauth/pasetoauth/adapters/internal/device"
	"github.com/pasetoauth/pasetoauth/adapters/internal/stdhttp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Config adjusts the Middleware. The zero value is ready to use.
type Config struct {
	// Skipper, when it returns true, lets the request through untouched.
	// It does not apply to the complete endpoints (RefreshHandler,
	// LogoutHandler and the session handlers).
	Skipper func(r *http.Request) bool
	// ErrorHandler answers a rejected request. Default DefaultErrorHandler.
	// The Problem's Header (the challenge, Retry-After) is already set on
	// w when it runs. Whatever it does, the protected handler does not run.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, p paseto.Problem, err error)
}

// Middleware builds net/http middleware and handlers from a paseto.Guard.
// Build it once; it is safe for concurrent use.
type Middleware struct {
	g   *paseto.Guard
	cfg Config
}

// New returns a Middleware for g. It panics when g is nil, a programming
// error found at start-up.
func New(g *paseto.Guard, cfg Config) *Middleware {
	if g == nil {
		panic("httppaseto: nil *paseto.Guard")
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = DefaultErrorHandler
	}
	return &Middleware{g: g, cfg: cfg}
}

// DefaultErrorHandler writes p.Reply(): the WWW-Authenticate challenge and
// the Retry-After delay when there are any, the status and the small JSON
// body. err is not written. A custom ErrorHandler may call it to render
// the usual answer.
func DefaultErrorHandler(w http.ResponseWriter, _ *http.Request, p paseto.Problem, _ error) {
	write(w, p.Reply())
}

// Required is [paseto.Guard.Required] as net/http middleware.
func (m *Middleware) Required(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.Required(opts...))
}

// FreshRequired is [paseto.Guard.FreshRequired] as net/http middleware.
func (m *Middleware) FreshRequired(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.FreshRequired(opts...))
}

// Optional is [paseto.Guard.Optional] as net/http middleware.
func (m *Middleware) Optional(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.Optional(opts...))
}

// RefreshRequired is [paseto.Guard.RefreshRequired] as net/http middleware.
func (m *Middleware) RefreshRequired(opts ...paseto.RouteOption) func(http.Handler) http.Handler {
	return m.protect(m.g.RefreshRequired(opts...))
}

// RefreshHandler is [paseto.Guard.RefreshRequired] answered with [paseto.Guard.RefreshReply], as a net/http handler.
func (m *Middleware) RefreshHandler(opts ...paseto.RouteOption) http.HandlerFunc {
	p := m.g.RefreshRequired(opts...)
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := m.g.Authenticate(stdhttp.Request{R: r}, stdhttp.Header(w.Header()), p)
		if err != nil {
			m.reject(w, r, p, err)
			return
		}
		write(w, m.g.RefreshReply(res))
	}
}

// LogoutHandler is [paseto.Guard.Logout] as a net/http handler.
func (m *Middleware) LogoutHandler(opts ...paseto.RouteOption) http.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(r *http.Request, req stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.Logout(req, w, p)
	})
}

// KeySetHandler is [paseto.Guard.KeySet] as a net/http handler, for GET [paseto.KeySetPath]: the public keys of a v4.public Auth, 404 otherwise.
func (m *Middleware) KeySetHandler() http.HandlerFunc {
	return m.endpoint(nil, func(r *http.Request, req stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.KeySet(), nil
	})
}

// SessionsHandler is [paseto.Guard.ListSessions] as a net/http handler.
func (m *Middleware) SessionsHandler(opts ...paseto.RouteOption) http.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(r *http.Request, req stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.ListSessions(req, w, p)
	})
}

// RevokeSessionHandler is [paseto.Guard.RevokeSession] as a net/http handler, for the session ID in the path wildcard param ("id" for "DELETE /sessions/{id}", read with r.PathValue).
func (m *Middleware) RevokeSessionHandler(param string, opts ...paseto.RouteOption) http.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(r *http.Request, req stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeSession(req, w, p, r.PathValue(param))
	})
}

// RevokeOtherSessionsHandler is [paseto.Guard.RevokeOtherSessions] as a net/http handler.
func (m *Middleware) RevokeOtherSessionsHandler(opts ...paseto.RouteOption) http.HandlerFunc {
	return m.endpoint(m.g.Required(opts...), func(r *http.Request, req stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error) {
		return m.g.RevokeOtherSessions(req, w, p)
	})
}

// endpoint is a complete endpoint under policy p: serve answers the
// request, or fails with the error the ErrorHandler answers.
func (m *Middleware) endpoint(p *paseto.Policy, serve func(r *http.Request, req stdhttp.Request, w stdhttp.Header, p *paseto.Policy) (paseto.Reply, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reply, err := serve(r, stdhttp.Request{R: r}, stdhttp.Header(w.Header()), p)
		if err != nil {
			m.reject(w, r, p, err)
			return
		}
		write(w, reply)
	}
}

// Device is the request's [paseto.Device] for [paseto.LoginOptions]: its
// User-Agent and the host of r.RemoteAddr, the connection's peer. Behind a
// reverse proxy that is the proxy's address unless a middleware you trust
// has rewritten r.RemoteAddr from the proxy's header (as chi's RealIP
// does, believing any client that sends one); IP is empty when it is not
// an IP address.
func Device(r *http.Request) paseto.Device {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr // a bare address, as some middleware leave it
	}
	return device.New(r.UserAgent(), host)
}

// FreshLogin answers a fresh-login request once the application has checked the credentials of subject: [paseto.Guard.FreshLoginFor] for the claims a Required route put in the context.
func (m *Middleware) FreshLogin(w http.ResponseWriter, r *http.Request, subject string) {
	cl, _ := Claims(r.Context())
	reply, err := m.g.FreshLoginFor(r.Context(), stdhttp.Header(w.Header()), cl, subject)
	if err != nil {
		m.reject(w, r, nil, err)
		return
	}
	write(w, reply)
}

// LoginWithCookies is [paseto.Guard.LoginWithCookies] for a net/http request.
func (m *Middleware) LoginWithCookies(w http.ResponseWriter, r *http.Request, subject string, o paseto.LoginOptions) (*paseto.CookieSession, error) {
	return m.g.LoginWithCookies(r.Context(), stdhttp.Header(w.Header()), subject, o)
}

// ClearSessionCookies is [paseto.Guard.ClearSessionCookies] for a net/http response.
func (m *Middleware) ClearSessionCookies(w http.ResponseWriter) {
	m.g.ClearSessionCookies(stdhttp.Header(w.Header()))
}

func (m *Middleware) protect(p *paseto.Policy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m.cfg.Skipper != nil && m.cfg.Skipper(r) {
				next.ServeHTTP(w, r)
				return
			}
			res, err := m.g.Authenticate(stdhttp.Request{R: r}, stdhttp.Header(w.Header()), p)
			if err != nil {
				m.reject(w, r, p, err)
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

// reject sets the Problem's headers before the ErrorHandler runs, so that
// no handler loses the challenge.
func (m *Middleware) reject(w http.ResponseWriter, r *http.Request, p *paseto.Policy, err error) {
	pr := m.g.ProblemFor(err, p)
	h := w.Header()
	for _, f := range pr.Header() {
		h.Set(f.Name, f.Value)
	}
	m.cfg.ErrorHandler(w, r, pr, err)
}

// write copies r to the response.
func write(w http.ResponseWriter, r paseto.Reply) {
	h := w.Header()
	for _, f := range r.Header {
		h.Set(f.Name, f.Value)
	}
	w.WriteHeader(r.Status)
	if r.Body != nil {
		_, _ = w.Write(r.Body)
	}
}

// contextKey is an unexported pointer key, so no other package can read or
// overwrite the values.
type contextKey struct{ name string }

func (k *contextKey) String() string { return "httppaseto context value " + k.name }

var (
	claimsKey = claimsctx.NewKey("httppaseto")
	pairKey   = &contextKey{"token pair"}
)

func newContext(ctx context.Context, res *paseto.Result) context.Context {
	if res.Claims != nil {
		ctx = claimsKey.With(ctx, res.Claims)
	}
	if res.Pair != nil {
		ctx = context.WithValue(ctx, pairKey, res.Pair)
	}
	return ctx
}

// Claims returns the claims the middleware verified; false for an
// anonymous request on an Optional route or outside the middleware.
func Claims(ctx context.Context) (*paseto.Claims, bool) { return claimsKey.Claims(ctx) }

// FromContext is Claims, under the name go-chi/jwtauth uses.
func FromContext(ctx context.Context) (*paseto.Claims, bool) { return Claims(ctx) }

// Subject returns the verified token's subject (the user), or "" when
// there are no claims.
func Subject(ctx context.Context) string { return claimsKey.Subject(ctx) }

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
