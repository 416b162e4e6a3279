// Command echov5 is a complete echo v5 server protected by pasetoauth, to copy as
// the start of your own: PASETO v4 access tokens, refresh tokens that
// rotate with reuse detection, a route that needs a fresh login, a scoped
// route, a browser session in HttpOnly cookies with CSRF protection, and
// a list of the user's sessions and devices to sign them out from.
//
// Run it from the repository root with
//
//	go run ./examples/echov5
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
// The echov5paseto middleware returns its rejections as errors in echo
// v5's habit (an echo.HTTPStatusCoder that unwraps to an *echo.HTTPError
// wrapping the library's error), so the app's HTTPErrorHandler renders
// them; this one keeps echo's default, which writes the library's small
// JSON body.
package main

import (
	"context"
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

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
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
	e, err := newEcho(b, logger)
	if err != nil {
		return err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", b.addr); err != nil {
			return err
		}
	}
	// An http.Server of our own, rather than e.Start, to set every timeout.
	srv := &http.Server{
		Handler:           e,
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

// newEcho builds the routes of the HTTP contract. echo v5 logs through
// log/slog: it gets the server's logger.
func newEcho(b *backend, logger *slog.Logger) (*echo.Echo, error) {
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
	m, bm := echov5paseto.New(api, echov5paseto.Config{}), echov5paseto.New(browser, echov5paseto.Config{})
	h := &handlers{backend: b, api: api, browser: browser, bearer: m, cookies: bm}

	e := echo.New()
	e.Logger = logger
	// RealIP, and so the IP a session is listed with, is the connection's
	// address: echo v5's default, spelled out. Behind a reverse proxy,
	// trust the proxy's addresses instead
	// (echo.ExtractIPFromXFFHeader(echo.TrustIPRange(…))).
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(middleware.Recover(), middleware.BodyLimit(64<<10))
	e.GET("/", h.index)

	e.POST("/login", h.login)
	e.POST("/refresh", m.RefreshHandler())
	e.GET("/protected", h.protected, m.Required())
	e.GET("/optional", h.optional, m.Optional())
	e.POST("/fresh", h.fresh, m.FreshRequired(paseto.WithMaxAge(freshMaxAge)))
	e.POST("/fresh-login", h.freshLogin, m.Required())
	e.GET("/admin", h.admin, m.Required(paseto.WithScopes(adminScope)))
	e.POST("/logout", m.LogoutHandler())

	// Session and device management, with the access token in the
	// Authorization header: the user's sessions, "sign this device out",
	// "sign out everywhere else". Each handler authenticates the request
	// itself, like LogoutHandler.
	e.GET(paseto.KeySetPath, m.KeySetHandler()) // v4.public: the published keys; v4.local: 404
	e.GET("/sessions", m.SessionsHandler())
	e.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
	e.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())

	// The routes for browsers, with the session in cookies: the same
	// protected, fresh-only, fresh re-login and session routes. Unsafe
	// methods need the X-CSRF-Token header, which the browser Guard checks.
	c := e.Group("/cookie")
	c.POST("/login", h.cookieLogin)
	c.GET("/protected", h.protected, bm.Required())
	c.POST("/fresh", h.fresh, bm.FreshRequired(paseto.WithMaxAge(freshMaxAge)))
	c.POST("/fresh-login", h.cookieFreshLogin, bm.Required())
	c.POST("/session/refresh", bm.RefreshHandler())
	c.POST("/session/logout", bm.LogoutHandler())
	c.GET("/sessions", bm.SessionsHandler())
	c.DELETE("/sessions/:id", bm.RevokeSessionHandler("id"))
	c.POST("/sessions/revoke-others", bm.RevokeOtherSessionsHandler())

	// A browser page that signs in with the cookie routes above.
	e.GET("/app", echo.WrapHandler(webapp.Page))
	e.GET("/app/app.js", echo.WrapHandler(webapp.Script))
	return e, nil
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
	bearer       *echov5paseto.Middleware // the API Guard's, for FreshLogin
	cookies      *echov5paseto.Middleware // the browser Guard's, for LoginWithCookies and FreshLogin
}

func (h *handlers) index(c *echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{
		"service":       "pasetoauth echo v5 example",
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
	errNotJSON        = &apiError{http.StatusUnsupportedMediaType, paseto.ErrorBody{Error: "unsupported_media_type", Message: "send the credentials as application/json"}}
	errBadBody        = &apiError{http.StatusBadRequest, paseto.ErrorBody{Error: "invalid_request", Message: `the body must be {"username":"…","password":"…"}`}}
	errBadCredentials = &apiError{http.StatusUnauthorized, paseto.ErrorBody{Error: "invalid_credentials", Message: "wrong username or password"}}
)

// apiError is an error answer with a JSON body. echo v5's HTTPError
// carries a string message only; echo's error handler writes an error that
// reports its status (echo.HTTPStatusCoder) and marshals itself
// (json.Marshaler) as it is.
type apiError struct {
	status int
	body   paseto.ErrorBody
}

func (e *apiError) Error() string                { return e.body.Message }
func (e *apiError) StatusCode() int              { return e.status }
func (e *apiError) MarshalJSON() ([]byte, error) { return e.body.JSON(), nil }

// checkCredentials reads the login body and checks it against the user
// table. Insisting on application/json also keeps other sites' HTML forms
// from logging a browser in (login CSRF): browsers send cross-site JSON
// only after a CORS preflight.
func (h *handlers) checkCredentials(c *echo.Context) (account, error) {
	req := c.Request()
	if mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationJSON {
		return account{}, errNotJSON
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxLoginBody)
	var cr credentials
	if err := c.Bind(&cr); err != nil {
		return account{}, errBadBody
	}
	u, ok := h.users.authenticate(cr.Username, cr.Password)
	if !ok {
		return account{}, errBadCredentials
	}
	return u, nil
}

// login answers the OAuth 2.0 token response: a fresh access token and a
// refresh token.
func (h *handlers) login(c *echo.Context) error {
	u, err := h.checkCredentials(c)
	if err != nil {
		return err
	}
	pair, err := h.auth.Login(c.Request().Context(), u.name, paseto.LoginOptions{Scopes: u.scopes, Device: echov5paseto.Device(c)})
	if err != nil { // the store failed: 503, in the library's words
		return echov5paseto.DefaultErrorHandler(c, h.api.ProblemFor(err, nil), err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, pair)
}

// freshLogin re-checks the credentials of the user behind the access token
// and answers a fresh access token for the same session: no new session,
// and the refresh token is unchanged. The API Guard's FreshLogin mints the
// token and writes the reply (200, no-store, {"access_token","token_type",
// "expires_in"}) or the error: credentials of another user are refused
// (401 mismatched_subject).
func (h *handlers) freshLogin(c *echo.Context) error {
	u, err := h.checkCredentials(c)
	if err != nil {
		return err
	}
	return h.bearer.FreshLogin(c, u.name)
}

// cookieFreshLogin is freshLogin for a browser session: the browser
// Guard's FreshLogin also sets the fresh token as the access cookie, so the
// answer leaves the token out, as a cookie refresh does.
func (h *handlers) cookieFreshLogin(c *echo.Context) error {
	u, err := h.checkCredentials(c)
	if err != nil {
		return err
	}
	return h.cookies.FreshLogin(c, u.name)
}

// cookieLogin starts a browser session: the tokens go into HttpOnly
// cookies, and the CSRF value into a cookie the page's script can read
// (and, for convenience, the body). Unsafe requests echo it in X-CSRF-Token.
func (h *handlers) cookieLogin(c *echo.Context) error {
	u, err := h.checkCredentials(c)
	if err != nil {
		return err
	}
	s, err := h.cookies.LoginWithCookies(c, u.name, paseto.LoginOptions{Scopes: u.scopes, Device: echov5paseto.Device(c)})
	if err != nil {
		return echov5paseto.DefaultErrorHandler(c, h.browser.ProblemFor(err, nil), err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"user": u.name, "csrf_token": s.CSRF, "expires_in": s.Pair.ExpiresIn})
}

func (h *handlers) protected(c *echo.Context) error {
	cl, _ := echov5paseto.Claims(c)
	return c.JSON(http.StatusOK, map[string]any{
		"user":       cl.Subject,
		"scopes":     scopesOf(cl),
		"fresh":      cl.Fresh,
		"expires_at": cl.Expiration,
	})
}

func (h *handlers) optional(c *echo.Context) error {
	if cl, ok := echov5paseto.Claims(c); ok {
		return c.JSON(http.StatusOK, map[string]any{"user": cl.Subject})
	}
	return c.JSON(http.StatusOK, map[string]any{"user": nil})
}

func (h *handlers) fresh(c *echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"user": echov5paseto.Subject(c), "message": "fresh login confirmed"})
}

func (h *handlers) admin(c *echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"user": echov5paseto.Subject(c), "admin": true})
}

func scopesOf(c *paseto.Claims) []string {
	if c.Scopes == nil {
		return []string{}
	}
	return c.Scopes
}
