// Command gin is a complete gin server protected by pasetoauth, to copy as
// the start of your own: PASETO v4 access tokens, refresh tokens that
// rotate with reuse detection, a route that needs a fresh login, a scoped
// route, a browser session in HttpOnly cookies with CSRF protection, and
// a list of the user's sessions and devices to sign them out from.
//
// Run it from the repository root with
//
//	go run ./examples/gin
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
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
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
	b, err := newBackend(ctx, getenv, logger, nil)
	if err != nil {
		return err
	}
	defer b.close()
	router, err := newRouter(b)
	if err != nil {
		return err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", b.addr); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           router,
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

// newRouter builds the routes of the HTTP contract.
func newRouter(b *backend) (*gin.Engine, error) {
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
	m, bm := ginpaseto.New(api, ginpaseto.Config{}), ginpaseto.New(browser, ginpaseto.Config{})
	h := &handlers{backend: b, api: api, browser: browser, bearer: m, cookies: bm}

	r := gin.New()
	// ClientIP, and so the IP a session is listed with, is the
	// connection's address: until told otherwise gin believes anyone's
	// X-Forwarded-For. Behind a reverse proxy, list the proxy's addresses
	// instead (r.SetTrustedProxies([]string{"10.0.0.0/8"})).
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	r.Use(gin.Recovery())
	r.GET("/", h.index)

	r.POST("/login", h.login)
	r.POST("/refresh", m.RefreshHandler())
	r.GET("/protected", m.Required(), h.protected)
	r.GET("/optional", m.Optional(), h.optional)
	r.POST("/fresh", m.FreshRequired(paseto.WithMaxAge(freshMaxAge)), h.fresh)
	r.POST("/fresh-login", m.Required(), h.freshLogin)
	r.GET("/admin", m.Required(paseto.WithScopes(adminScope)), h.admin)
	r.POST("/logout", m.LogoutHandler())

	// Session and device management, with the access token in the
	// Authorization header: the user's sessions, "sign this device out",
	// "sign out everywhere else". Each handler authenticates the request
	// itself, like LogoutHandler.
	r.GET(paseto.KeySetPath, m.KeySetHandler()) // v4.public: the published keys; v4.local: 404
	r.GET("/sessions", m.SessionsHandler())
	r.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
	r.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())

	// The routes for browsers, with the session in cookies: the same
	// protected, fresh-only, fresh re-login and session routes. Unsafe
	// methods need the X-CSRF-Token header, which the browser Guard checks.
	c := r.Group("/cookie")
	c.POST("/login", h.cookieLogin)
	c.GET("/protected", bm.Required(), h.protected)
	c.POST("/fresh", bm.FreshRequired(paseto.WithMaxAge(freshMaxAge)), h.fresh)
	c.POST("/fresh-login", bm.Required(), h.cookieFreshLogin)
	c.POST("/session/refresh", bm.RefreshHandler())
	c.POST("/session/logout", bm.LogoutHandler())
	c.GET("/sessions", bm.SessionsHandler())
	c.DELETE("/sessions/:id", bm.RevokeSessionHandler("id"))
	c.POST("/sessions/revoke-others", bm.RevokeOtherSessionsHandler())

	// A browser page that signs in with the cookie routes above.
	r.GET("/app", gin.WrapH(webapp.Page))
	r.GET("/app/app.js", gin.WrapH(webapp.Script))
	return r, nil
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
	bearer       *ginpaseto.Middleware // the API Guard's, for FreshLogin
	cookies      *ginpaseto.Middleware // the browser Guard's, for LoginWithCookies and FreshLogin
}

func (h *handlers) index(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{
		"service":       "pasetoauth gin example",
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
func (h *handlers) checkCredentials(c *gin.Context) (account, bool) {
	if c.ContentType() != "application/json" {
		c.AbortWithStatusJSON(http.StatusUnsupportedMediaType, errNotJSON)
		return account{}, false
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxLoginBody)
	var cr credentials
	if err := c.ShouldBindJSON(&cr); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, errBadBody)
		return account{}, false
	}
	u, ok := h.users.authenticate(cr.Username, cr.Password)
	if !ok {
		c.AbortWithStatusJSON(http.StatusUnauthorized, errBadCredentials)
		return account{}, false
	}
	return u, true
}

// login answers the OAuth 2.0 token response: a fresh access token and a
// refresh token.
func (h *handlers) login(c *gin.Context) {
	u, ok := h.checkCredentials(c)
	if !ok {
		return
	}
	pair, err := h.auth.Login(c.Request.Context(), u.name, paseto.LoginOptions{Scopes: u.scopes, Device: ginpaseto.Device(c)})
	if err != nil { // the store failed: 503, in the library's words
		ginpaseto.DefaultErrorHandler(c, h.api.ProblemFor(err, nil), err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, pair)
}

// freshLogin re-checks the credentials of the user behind the access token
// and answers a fresh access token for the same session: no new session,
// and the refresh token is unchanged. The API Guard's FreshLogin mints the
// token and writes the reply (200, no-store, {"access_token","token_type",
// "expires_in"}) or the error: credentials of another user are refused
// (401 mismatched_subject).
func (h *handlers) freshLogin(c *gin.Context) {
	u, ok := h.checkCredentials(c)
	if !ok {
		return
	}
	h.bearer.FreshLogin(c, u.name)
}

// cookieFreshLogin is freshLogin for a browser session: the browser
// Guard's FreshLogin also sets the fresh token as the access cookie, so the
// answer leaves the token out, as a cookie refresh does.
func (h *handlers) cookieFreshLogin(c *gin.Context) {
	u, ok := h.checkCredentials(c)
	if !ok {
		return
	}
	h.cookies.FreshLogin(c, u.name)
}

// cookieLogin starts a browser session: the tokens go into HttpOnly
// cookies, and the CSRF value into a cookie the page's script can read
// (and, for convenience, the body). Unsafe requests echo it in X-CSRF-Token.
func (h *handlers) cookieLogin(c *gin.Context) {
	u, ok := h.checkCredentials(c)
	if !ok {
		return
	}
	s, err := h.cookies.LoginWithCookies(c, u.name, paseto.LoginOptions{Scopes: u.scopes, Device: ginpaseto.Device(c)})
	if err != nil {
		ginpaseto.DefaultErrorHandler(c, h.browser.ProblemFor(err, nil), err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"user": u.name, "csrf_token": s.CSRF, "expires_in": s.Pair.ExpiresIn})
}

func (h *handlers) protected(c *gin.Context) {
	cl, _ := ginpaseto.Claims(c)
	c.JSON(http.StatusOK, gin.H{
		"user":       cl.Subject,
		"scopes":     scopesOf(cl),
		"fresh":      cl.Fresh,
		"expires_at": cl.Expiration,
	})
}

func (h *handlers) optional(c *gin.Context) {
	if cl, ok := ginpaseto.Claims(c); ok {
		c.JSON(http.StatusOK, gin.H{"user": cl.Subject})
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": nil})
}

func (h *handlers) fresh(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"user": ginpaseto.Subject(c), "message": "fresh login confirmed"})
}

func (h *handlers) admin(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"user": ginpaseto.Subject(c), "admin": true})
}

func scopesOf(c *paseto.Claims) []string {
	if c.Scopes == nil {
		return []string{}
	}
	return c.Scopes
}
