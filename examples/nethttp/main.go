// Command nethttp is a complete net/http server protected by pasetoauth, to copy as
// the start of your own: PASETO v4 access tokens, refresh tokens that
// rotate with reuse detection, a route that needs a fresh login, a scoped
// route, a browser session in HttpOnly cookies with CSRF protection, and
// a list of the user's sessions and devices to sign them out from.
//
// Run it from the repository root with
//
//	go run ./examples/nethttp
//
// (in a copy of this directory, a module of its own as README.md explains:
// go run .) and try the curl lines in README.md. It listens on PORT (default 8000).
// With no keys in the environment it generates ephemeral keys and says so;
// set PASETO_LOCAL_KEY (v4.local access tokens) or PASETO_SECRET_KEY
// (v4.public access tokens), and PASETO_REFRESH_KEY, to PASERK strings from
// `go run github.com/pasetoauth/pasetoauth/cmd/pasetokey@latest gen env` to
// keep tokens valid across restarts. Each has a _PREVIOUS variable of
// verify-only keys, for key rotation (README.md).
// REDIS_URL moves sessions and revocations to Redis, so that several
// instances share them; DATABASE_URL=sqlite:///path/file.db keeps them in
// a SQLite file, so that they survive a restart. An invalid variable stops the server with an error.
//
// The demo users are test/test (with the admin:* scope) and user1/password1.
//
// It uses only the standard library's http.ServeMux and the httppaseto
// middleware, which is plain func(http.Handler) http.Handler: the same code
// works with chi and other routers built on net/http.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/examples/webapp"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the server at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Getenv, nil, logger); err != nil {
		logger.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// shutdownTimeout bounds how long requests in flight may take to finish
// once a shutdown signal arrives.
const shutdownTimeout = 10 * time.Second

// run configures the server from getenv and serves on ln (when nil, on
// PORT) until ctx is done, then shuts down gracefully. It closes ln.
func run(ctx context.Context, getenv func(string) string, ln net.Listener, logger *slog.Logger) (err error) {
	if ln != nil {
		defer func() {
			if err != nil {
				_ = ln.Close() // not served: Serve closes it otherwise
			}
		}()
	}
	tel, err := setupTelemetry(ctx, getenv) // telemetry.go: PASETO_TELEMETRY
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, logger)
	b, err := newBackend(ctx, getenv, logger, tel.observer)
	if err != nil {
		return err
	}
	defer b.close()
	handler, err := newHandler(b)
	if err != nil {
		return err
	}
	handler = tel.wrap(handler)
	if ln == nil {
		if ln, err = net.Listen("tcp", b.addr); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// adminScope is what GET /admin requires. The user test holds "admin:*",
// which covers it; user1 does not.
const adminScope = "admin:read"

// freshMaxAge is how recently a user must have typed their password to use
// POST /fresh and POST /cookie/fresh.
const freshMaxAge = 5 * time.Minute

// newHandler builds the routes of the HTTP contract.
func newHandler(b *backend) (http.Handler, error) {
	// API clients send tokens in the Authorization header only.
	api, err := paseto.NewGuard(b.auth, paseto.GuardConfig{})
	if err != nil {
		return nil, err
	}
	// Browsers keep them in HttpOnly cookies; unsafe methods then need the
	// CSRF header. The refresh cookie is only sent under /cookie/session:
	// to the refresh endpoint, and to logout, which ends the session with
	// it once the browser has dropped an expired access cookie. Implicit
	// refresh (GuardConfig.ImplicitRefresh) would need it on every path
	// (RefreshPath "/").
	browser, err := paseto.NewGuard(b.auth, paseto.GuardConfig{
		Cookies: &paseto.CookieConfig{RefreshPath: "/cookie/session"},
	})
	if err != nil {
		return nil, err
	}
	m, bm := httppaseto.New(api, httppaseto.Config{}), httppaseto.New(browser, httppaseto.Config{})
	h := &handlers{backend: b, api: api, browser: browser, bearer: m, cookies: bm}

	// httppaseto.Device takes the client IP, which a session is listed
	// with, from r.RemoteAddr: the connection's address, which no request
	// header changes. Behind a reverse proxy, rewrite it from the proxy's
	// header only for requests that come from the proxy.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.index)

	mux.HandleFunc("POST /login", h.login)
	mux.Handle("POST /refresh", m.RefreshHandler())
	mux.Handle("GET /protected", m.Required()(http.HandlerFunc(h.protected)))
	mux.Handle("GET /optional", m.Optional()(http.HandlerFunc(h.optional)))
	mux.Handle("POST /fresh", m.FreshRequired(paseto.WithMaxAge(freshMaxAge))(http.HandlerFunc(h.fresh)))
	mux.Handle("POST /fresh-login", m.Required()(http.HandlerFunc(h.freshLogin)))
	mux.Handle("GET /admin", m.Required(paseto.WithScopes(adminScope))(http.HandlerFunc(h.admin)))
	mux.Handle("POST /logout", m.LogoutHandler())

	// Session and device management, with the access token in the
	// Authorization header: the user's sessions, "sign this device out",
	// "sign out everywhere else". Each handler authenticates the request
	// itself, like LogoutHandler.
	mux.Handle("GET "+paseto.KeySetPath, m.KeySetHandler()) // v4.public: the published keys; v4.local: 404
	mux.Handle("GET /sessions", m.SessionsHandler())
	mux.Handle("DELETE /sessions/{id}", m.RevokeSessionHandler("id"))
	mux.Handle("POST /sessions/revoke-others", m.RevokeOtherSessionsHandler())

	// The routes for browsers, with the session in cookies: the same
	// protected, fresh-only, fresh re-login and session routes. Unsafe
	// methods need the X-CSRF-Token header, which the browser Guard checks.
	mux.HandleFunc("POST /cookie/login", h.cookieLogin)
	mux.Handle("GET /cookie/protected", bm.Required()(http.HandlerFunc(h.protected)))
	mux.Handle("POST /cookie/fresh", bm.FreshRequired(paseto.WithMaxAge(freshMaxAge))(http.HandlerFunc(h.fresh)))
	mux.Handle("POST /cookie/fresh-login", bm.Required()(http.HandlerFunc(h.cookieFreshLogin)))
	mux.Handle("POST /cookie/session/refresh", bm.RefreshHandler())
	mux.Handle("POST /cookie/session/logout", bm.LogoutHandler())
	mux.Handle("GET /cookie/sessions", bm.SessionsHandler())
	mux.Handle("DELETE /cookie/sessions/{id}", bm.RevokeSessionHandler("id"))
	mux.Handle("POST /cookie/sessions/revoke-others", bm.RevokeOtherSessionsHandler())

	// A browser page that signs in with the cookie routes above.
	mux.Handle("GET /app", webapp.Page)
	mux.Handle("GET /app/app.js", webapp.Script)
	return mux, nil
}

// endpoint documents a route for GET /.
type endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Needs  string `json:"needs"`
}

var endpoints = []endpoint{
	{"GET", "/", "nothing"},
	{"POST", "/login", `credentials {"username","password"}`},
	{"POST", "/refresh", `refresh token (Authorization: Bearer or {"refresh_token"})`},
	{"GET", "/protected", "access token"},
	{"GET", "/optional", "optional access token"},
	{"POST", "/fresh", "fresh access token (from /login or /fresh-login, at most 5 minutes old)"},
	{"POST", "/fresh-login", `access token and credentials {"username","password"} of its user; a fresh access token for the same session`},
	{"GET", "/admin", "access token with scope " + adminScope},
	{"POST", "/logout", "access token"},
	{"GET", "/sessions", "access token; the user's sessions with their devices, newest first, the caller's marked current"},
	{"DELETE", "/sessions/{id}", "access token; ends that session of the user (404 unknown_session for any other id)"},
	{"POST", "/sessions/revoke-others", "access token; ends every session of the user but the caller's"},
	{"POST", "/cookie/login", `credentials {"username","password"}; sets cookies`},
	{"GET", "/cookie/protected", "access cookie"},
	{"POST", "/cookie/fresh", "fresh access cookie (from /cookie/login or /cookie/fresh-login, at most 5 minutes old) and X-CSRF-Token header"},
	{"POST", "/cookie/fresh-login", `access cookie, X-CSRF-Token header and credentials {"username","password"} of its user; sets a fresh access cookie for the same session`},
	{"POST", "/cookie/session/refresh", "refresh cookie and X-CSRF-Token header"},
	{"POST", "/cookie/session/logout", "access or refresh cookie and X-CSRF-Token header; expires the cookies"},
	{"GET", "/cookie/sessions", "access cookie; the user's sessions, as GET /sessions"},
	{"DELETE", "/cookie/sessions/{id}", "access cookie and X-CSRF-Token header; as DELETE /sessions/{id}, and expires the cookies when it ends the caller's own session"},
	{"POST", "/cookie/sessions/revoke-others", "access cookie and X-CSRF-Token header; as POST /sessions/revoke-others"},
	{"GET", "/app", "nothing; a browser page (script at /app/app.js) that signs in with the cookie routes"},
}

type handlers struct {
	*backend
	api, browser *paseto.Guard
	bearer       *httppaseto.Middleware // the API Guard's, for FreshLogin
	cookies      *httppaseto.Middleware // the browser Guard's, for LoginWithCookies and FreshLogin
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *handlers) index(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"service":       "pasetoauth net/http example",
		"access_tokens": h.auth.Config().AccessKeys.Purpose().String(),
		"endpoints":     endpoints,
	})
}

// credentials is the body of the login routes.
type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

const maxLoginBody = 4 << 10

// The login routes' errors, in the shape of the library's.
var (
	errNotJSON        = paseto.ErrorBody{Error: "unsupported_media_type", Message: "send the credentials as application/json"}
	errBadBody        = paseto.ErrorBody{Error: "invalid_request", Message: `the body must be {"username":"…","password":"…"}`}
	errBadCredentials = paseto.ErrorBody{Error: "invalid_credentials", Message: "wrong username or password"}
)

// checkCredentials reads the login body and checks it against the user
// table, answering the request itself when it fails. Insisting on
// application/json also keeps other sites' HTML forms from logging a
// browser in (login CSRF): browsers send cross-site JSON only after a CORS
// preflight.
func (h *handlers) checkCredentials(w http.ResponseWriter, r *http.Request) (account, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, errNotJSON)
		return account{}, false
	}
	var cr credentials
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxLoginBody)).Decode(&cr); err != nil {
		writeJSON(w, http.StatusBadRequest, errBadBody)
		return account{}, false
	}
	u, ok := h.users.authenticate(cr.Username, cr.Password)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, errBadCredentials)
		return account{}, false
	}
	return u, true
}

// login answers the OAuth 2.0 token response: a fresh access token and a
// refresh token.
func (h *handlers) login(w http.ResponseWriter, r *http.Request) {
	u, ok := h.checkCredentials(w, r)
	if !ok {
		return
	}
	pair, err := h.auth.Login(r.Context(), u.name, paseto.LoginOptions{Scopes: u.scopes, Device: httppaseto.Device(r)})
	if err != nil { // the store failed: 503, in the library's words
		httppaseto.DefaultErrorHandler(w, r, h.api.ProblemFor(err, nil), err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, pair)
}

// freshLogin re-checks the credentials of the user behind the access token
// and answers a fresh access token for the same session: no new session,
// and the refresh token is unchanged. The API Guard's FreshLogin mints the
// token and writes the reply (200, no-store, {"access_token","token_type",
// "expires_in"}) or the error: credentials of another user are refused
// (401 mismatched_subject).
func (h *handlers) freshLogin(w http.ResponseWriter, r *http.Request) {
	u, ok := h.checkCredentials(w, r)
	if !ok {
		return
	}
	h.bearer.FreshLogin(w, r, u.name)
}

// cookieFreshLogin is freshLogin for a browser session: the browser
// Guard's FreshLogin also sets the fresh token as the access cookie, so the
// answer leaves the token out, as a cookie refresh does.
func (h *handlers) cookieFreshLogin(w http.ResponseWriter, r *http.Request) {
	u, ok := h.checkCredentials(w, r)
	if !ok {
		return
	}
	h.cookies.FreshLogin(w, r, u.name)
}

// cookieLogin starts a browser session: the tokens go into HttpOnly
// cookies, and the CSRF value into a cookie the page's script can read
// (and, for convenience, the body). Unsafe requests echo it in X-CSRF-Token.
func (h *handlers) cookieLogin(w http.ResponseWriter, r *http.Request) {
	u, ok := h.checkCredentials(w, r)
	if !ok {
		return
	}
	s, err := h.cookies.LoginWithCookies(w, r, u.name, paseto.LoginOptions{Scopes: u.scopes, Device: httppaseto.Device(r)})
	if err != nil {
		httppaseto.DefaultErrorHandler(w, r, h.browser.ProblemFor(err, nil), err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"user": u.name, "csrf_token": s.CSRF, "expires_in": s.Pair.ExpiresIn})
}

func (h *handlers) protected(w http.ResponseWriter, r *http.Request) {
	cl, _ := httppaseto.FromContext(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{
		"user":       cl.Subject,
		"scopes":     scopesOf(cl),
		"fresh":      cl.Fresh,
		"expires_at": cl.Expiration,
	})
}

func (h *handlers) optional(w http.ResponseWriter, r *http.Request) {
	if cl, ok := httppaseto.FromContext(r.Context()); ok {
		writeJSON(w, http.StatusOK, map[string]any{"user": cl.Subject})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": nil})
}

func (h *handlers) fresh(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"user": httppaseto.Subject(r.Context()), "message": "fresh login confirmed"})
}

func (h *handlers) admin(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"user": httppaseto.Subject(r.Context()), "admin": true})
}

func scopesOf(c *paseto.Claims) []string {
	if c.Scopes == nil {
		return []string{}
	}
	return c.Scopes
}
