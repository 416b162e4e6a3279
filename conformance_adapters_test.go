package pasetoauth_test

// The app under test and the six adapters that serve it: every adapter
// mounts the same routes in a real server built the framework's way, on its
// own loopback port.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	fiberv3 "github.com/gofiber/fiber/v3"
	"github.com/labstack/echo/v4"
	echov5 "github.com/labstack/echo/v5"

	"github.com/pasetoauth/pasetoauth/adapters/echopaseto"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// ---- the routes every adapter mounts ----

type routeKind uint8

const (
	required routeKind = iota
	freshRequired
	optional
	refreshRequired // middleware, then the app's handler
	refreshHandler  // the adapter's complete endpoint: no app handler
	logoutHandler   // the adapter's complete endpoint: no app handler
	// The session list endpoints, complete too: no app handler.
	sessionsHandler      // GET: the caller's sessions
	revokeSessionHandler // DELETE: the session in the path parameter sessionParam
	revokeOthersHandler  // POST: every session but the caller's
	public               // no middleware: the app's handler only
	// freshLoginHandler: Required, then the app's handler, which checks
	// the credentials and hands over to the adapter's FreshLogin.
	freshLoginHandler
)

// sessionParam names the path parameter of the session to revoke: the
// routes table writes it net/http's way, {id}; the other frameworks mount
// the path in their own syntax (colonPath).
const sessionParam = "id"

type route struct {
	method, path string
	kind         routeKind
	opts         []paseto.RouteOption
	status       int  // the app handler's status; 0 means 200
	silent       bool // the app handler writes nothing: the framework answers 200
	body         bool // the app handler reads the request body
}

var routes = []route{
	{method: "GET", path: "/protected", kind: required},
	{method: "POST", path: "/protected", kind: required},
	{method: "GET", path: "/ws", kind: required, opts: []paseto.RouteOption{paseto.WithQueryToken()}},
	{method: "POST", path: "/fresh", kind: freshRequired},
	{method: "POST", path: "/fresh-5m", kind: freshRequired, opts: []paseto.RouteOption{paseto.WithMaxAge(5 * time.Minute)}},
	{method: "GET", path: "/optional", kind: optional},
	{method: "GET", path: "/optional-lenient", kind: optional, opts: []paseto.RouteOption{paseto.WithAnonymousOnInvalid()}},
	{method: "GET", path: "/admin", kind: required, opts: []paseto.RouteOption{paseto.WithScopes("admin:users")}},
	{method: "GET", path: "/reports", kind: required, opts: []paseto.RouteOption{paseto.WithAnyScope("reports:read", "admin:users")}},
	{method: "GET", path: "/staff", kind: required, opts: []paseto.RouteOption{paseto.WithRequirements(staffOnly)}},
	{method: "POST", path: "/admin-fresh", kind: freshRequired, opts: []paseto.RouteOption{paseto.WithScopes("admin:users")}},
	{method: "GET", path: "/fail", kind: required, status: http.StatusInternalServerError},
	{method: "GET", path: "/silent", kind: required, silent: true},
	{method: "POST", path: "/refresh", kind: refreshHandler},
	{method: "POST", path: "/refresh-next", kind: refreshRequired},
	{method: "POST", path: "/logout", kind: logoutHandler},
	// The app's fresh re-login: credentials checked again, then
	// Auth.FreshLogin (see env.respond).
	{method: "POST", path: "/fresh-login", kind: required, body: true},
	// The same through the adapter: the app checks the credentials, then
	// calls Middleware.FreshLogin, which mints the token and answers.
	{method: "POST", path: "/adapter/fresh-login", kind: freshLoginHandler, body: true},
	{method: "GET", path: "/not-banned", kind: required, opts: []paseto.RouteOption{paseto.WithRequirements(notBanned)}},
	// The app's login: Auth.Login with the adapter's Device (see
	// env.respond).
	{method: "POST", path: "/login", kind: public, body: true},
	{method: "GET", path: "/sessions", kind: sessionsHandler},
	{method: "DELETE", path: "/sessions/{" + sessionParam + "}", kind: revokeSessionHandler},
	{method: "POST", path: "/sessions/revoke-others", kind: revokeOthersHandler},
}

// colonPath is path in the syntax of gin, echo and fiber: {name} becomes
// :name.
func colonPath(path string) string { return strings.NewReplacer("{", ":", "}", "").Replace(path) }

// staffOnly is an application's own authorization check on the claims: it
// answers 403 by wrapping paseto.ErrInsufficientScope.
func staffOnly(_ context.Context, c *paseto.Claims, _ time.Time) error {
	if tenant, _ := paseto.Claim[string](c, "tenant"); tenant != "staff" {
		return fmt.Errorf("%w: staff only", paseto.ErrInsufficientScope)
	}
	return nil
}

// bannedAccounts is the "database" notBanned consults.
var bannedAccounts = map[string]bool{"mallory": true}

// notBanned is a Requirement that consults a database with the request's
// context: it refuses a cancelled request, as a database driver would.
func notBanned(ctx context.Context, c *paseto.Claims, _ time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if bannedAccounts[c.Subject] {
		return fmt.Errorf("%w: account banned", paseto.ErrInsufficientScope)
	}
	return nil
}

func (r route) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// respondFunc is the app's handler body, the same for every framework: it
// counts the call and answers {"user": sub or null, "pair": bool}, or
// runs the fresh re-login or the login. ctx is the request's context;
// body is the request body on routes that read it; device is what the
// adapter's Device helper read from the request. On a freshLoginHandler
// route a zero Reply means the credentials of credentialsUser(body) are
// right: the handler then calls the adapter's FreshLogin, which answers.
type respondFunc func(ctx context.Context, rt route, c *paseto.Claims, pair *paseto.TokenPair, body []byte, device paseto.Device) paseto.Reply

// doFunc sends one request to the mounted app.
type doFunc func(*http.Request) (*http.Response, error)

// ---- the adapters, each mounted the framework's way ----

type adapter struct {
	name  string
	mount func(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc
}

var adapters = []adapter{
	{"gin", mountGin},
	{"echo", mountEcho},
	{"echov5", mountEchoV5},
	{"fiber", mountFiber},
	{"fiberv3", mountFiberV3},
	{"nethttp", mountNetHTTP},
}

func init() { gin.SetMode(gin.TestMode) }

func mountGin(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc {
	m := ginpaseto.New(g, ginpaseto.Config{})
	r := gin.New()
	for _, rt := range routes {
		h := func(c *gin.Context) {
			cl, _ := ginpaseto.Claims(c)
			pair, _ := ginpaseto.TokenPair(c)
			var body []byte
			if rt.body {
				body, _ = io.ReadAll(c.Request.Body)
			}
			reply := respond(c.Request.Context(), rt, cl, pair, body, ginpaseto.Device(c))
			if rt.kind == freshLoginHandler && reply.Status == 0 {
				m.FreshLogin(c, credentialsUser(body))
				return
			}
			if rt.silent {
				return
			}
			for _, h := range reply.Header {
				c.Header(h.Name, h.Value)
			}
			c.Data(reply.Status, "application/json", reply.Body)
		}
		path := colonPath(rt.path)
		switch rt.kind {
		case required:
			r.Handle(rt.method, path, m.Required(rt.opts...), h)
		case freshLoginHandler:
			r.Handle(rt.method, path, m.Required(rt.opts...), h)
		case freshRequired:
			r.Handle(rt.method, path, m.FreshRequired(rt.opts...), h)
		case optional:
			r.Handle(rt.method, path, m.Optional(rt.opts...), h)
		case refreshRequired:
			r.Handle(rt.method, path, m.RefreshRequired(rt.opts...), h)
		case refreshHandler:
			r.Handle(rt.method, path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			r.Handle(rt.method, path, m.LogoutHandler(rt.opts...))
		case sessionsHandler:
			r.Handle(rt.method, path, m.SessionsHandler(rt.opts...))
		case revokeSessionHandler:
			r.Handle(rt.method, path, m.RevokeSessionHandler(sessionParam, rt.opts...))
		case revokeOthersHandler:
			r.Handle(rt.method, path, m.RevokeOtherSessionsHandler(rt.opts...))
		case public:
			r.Handle(rt.method, path, h)
		}
	}
	return serveHTTP(t, r)
}

func mountEcho(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc {
	m := echopaseto.New(g, echopaseto.Config{})
	e := echo.New()
	for _, rt := range routes {
		h := func(c echo.Context) error {
			cl, _ := echopaseto.Claims(c)
			pair, _ := echopaseto.TokenPair(c)
			var body []byte
			if rt.body {
				body, _ = io.ReadAll(c.Request().Body)
			}
			reply := respond(c.Request().Context(), rt, cl, pair, body, echopaseto.Device(c))
			if rt.kind == freshLoginHandler && reply.Status == 0 {
				return m.FreshLogin(c, credentialsUser(body))
			}
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Response().Header().Set(h.Name, h.Value)
			}
			return c.JSONBlob(reply.Status, reply.Body)
		}
		path := colonPath(rt.path)
		switch rt.kind {
		case required:
			e.Add(rt.method, path, h, m.Required(rt.opts...))
		case freshLoginHandler:
			e.Add(rt.method, path, h, m.Required(rt.opts...))
		case freshRequired:
			e.Add(rt.method, path, h, m.FreshRequired(rt.opts...))
		case optional:
			e.Add(rt.method, path, h, m.Optional(rt.opts...))
		case refreshRequired:
			e.Add(rt.method, path, h, m.RefreshRequired(rt.opts...))
		case refreshHandler:
			e.Add(rt.method, path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			e.Add(rt.method, path, m.LogoutHandler(rt.opts...))
		case sessionsHandler:
			e.Add(rt.method, path, m.SessionsHandler(rt.opts...))
		case revokeSessionHandler:
			e.Add(rt.method, path, m.RevokeSessionHandler(sessionParam, rt.opts...))
		case revokeOthersHandler:
			e.Add(rt.method, path, m.RevokeOtherSessionsHandler(rt.opts...))
		case public:
			e.Add(rt.method, path, h)
		}
	}
	return serveHTTP(t, e)
}

func mountEchoV5(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc {
	m := echov5paseto.New(g, echov5paseto.Config{})
	e := echov5.New()
	for _, rt := range routes {
		h := func(c *echov5.Context) error {
			cl, _ := echov5paseto.Claims(c)
			pair, _ := echov5paseto.TokenPair(c)
			var body []byte
			if rt.body {
				body, _ = io.ReadAll(c.Request().Body)
			}
			reply := respond(c.Request().Context(), rt, cl, pair, body, echov5paseto.Device(c))
			if rt.kind == freshLoginHandler && reply.Status == 0 {
				return m.FreshLogin(c, credentialsUser(body))
			}
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Response().Header().Set(h.Name, h.Value)
			}
			return c.JSONBlob(reply.Status, reply.Body)
		}
		path := colonPath(rt.path)
		switch rt.kind {
		case required:
			e.Add(rt.method, path, h, m.Required(rt.opts...))
		case freshLoginHandler:
			e.Add(rt.method, path, h, m.Required(rt.opts...))
		case freshRequired:
			e.Add(rt.method, path, h, m.FreshRequired(rt.opts...))
		case optional:
			e.Add(rt.method, path, h, m.Optional(rt.opts...))
		case refreshRequired:
			e.Add(rt.method, path, h, m.RefreshRequired(rt.opts...))
		case refreshHandler:
			e.Add(rt.method, path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			e.Add(rt.method, path, m.LogoutHandler(rt.opts...))
		case sessionsHandler:
			e.Add(rt.method, path, m.SessionsHandler(rt.opts...))
		case revokeSessionHandler:
			e.Add(rt.method, path, m.RevokeSessionHandler(sessionParam, rt.opts...))
		case revokeOthersHandler:
			e.Add(rt.method, path, m.RevokeOtherSessionsHandler(rt.opts...))
		case public:
			e.Add(rt.method, path, h)
		}
	}
	return serveHTTP(t, e)
}

// fiberReadBuffer: fiber's default ReadBufferSize (4096) makes fasthttp
// answer 431 before any handler runs when the request headers do not fit,
// so the oversize-token row would test fasthttp, not the adapter. The suite
// raises it; fiberpaseto's tests pin the default behaviour.
const fiberReadBuffer = 16 << 10

func mountFiber(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc {
	m := fiberpaseto.New(g, fiberpaseto.Config{})
	app := fiber.New(fiber.Config{ReadBufferSize: fiberReadBuffer, DisableStartupMessage: true})
	for _, rt := range routes {
		h := func(c *fiber.Ctx) error {
			cl, _ := fiberpaseto.Claims(c)
			pair, _ := fiberpaseto.TokenPair(c)
			var body []byte
			if rt.body {
				body = c.Body()
			}
			reply := respond(c.UserContext(), rt, cl, pair, body, fiberpaseto.Device(c))
			if rt.kind == freshLoginHandler && reply.Status == 0 {
				return m.FreshLogin(c, credentialsUser(body))
			}
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Set(h.Name, h.Value)
			}
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			return c.Status(reply.Status).Send(reply.Body)
		}
		path := colonPath(rt.path)
		switch rt.kind {
		case required:
			app.Add(rt.method, path, m.Required(rt.opts...), h)
		case freshLoginHandler:
			app.Add(rt.method, path, m.Required(rt.opts...), h)
		case freshRequired:
			app.Add(rt.method, path, m.FreshRequired(rt.opts...), h)
		case optional:
			app.Add(rt.method, path, m.Optional(rt.opts...), h)
		case refreshRequired:
			app.Add(rt.method, path, m.RefreshRequired(rt.opts...), h)
		case refreshHandler:
			app.Add(rt.method, path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			app.Add(rt.method, path, m.LogoutHandler(rt.opts...))
		case sessionsHandler:
			app.Add(rt.method, path, m.SessionsHandler(rt.opts...))
		case revokeSessionHandler:
			app.Add(rt.method, path, m.RevokeSessionHandler(sessionParam, rt.opts...))
		case revokeOthersHandler:
			app.Add(rt.method, path, m.RevokeOtherSessionsHandler(rt.opts...))
		case public:
			app.Add(rt.method, path, h)
		}
	}
	// A real listener on loopback, as in production: app.Listener serves
	// fasthttp's own connection handling, request parsing and limits.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return client(t, "http://"+ln.Addr().String())
}

func mountFiberV3(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc {
	m := fiberv3paseto.New(g, fiberv3paseto.Config{})
	app := fiberv3.New(fiberv3.Config{ReadBufferSize: fiberReadBuffer})
	for _, rt := range routes {
		h := func(c fiberv3.Ctx) error {
			cl, _ := fiberv3paseto.Claims(c)
			pair, _ := fiberv3paseto.TokenPair(c)
			var body []byte
			if rt.body {
				body = c.Body()
			}
			reply := respond(c.Context(), rt, cl, pair, body, fiberv3paseto.Device(c))
			if rt.kind == freshLoginHandler && reply.Status == 0 {
				return m.FreshLogin(c, credentialsUser(body))
			}
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Set(h.Name, h.Value)
			}
			c.Set(fiberv3.HeaderContentType, fiberv3.MIMEApplicationJSON)
			return c.Status(reply.Status).Send(reply.Body)
		}
		methods, path := []string{rt.method}, colonPath(rt.path)
		switch rt.kind {
		case required:
			app.Add(methods, path, m.Required(rt.opts...), h)
		case freshLoginHandler:
			app.Add(methods, path, m.Required(rt.opts...), h)
		case freshRequired:
			app.Add(methods, path, m.FreshRequired(rt.opts...), h)
		case optional:
			app.Add(methods, path, m.Optional(rt.opts...), h)
		case refreshRequired:
			app.Add(methods, path, m.RefreshRequired(rt.opts...), h)
		case refreshHandler:
			app.Add(methods, path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			app.Add(methods, path, m.LogoutHandler(rt.opts...))
		case sessionsHandler:
			app.Add(methods, path, m.SessionsHandler(rt.opts...))
		case revokeSessionHandler:
			app.Add(methods, path, m.RevokeSessionHandler(sessionParam, rt.opts...))
		case revokeOthersHandler:
			app.Add(methods, path, m.RevokeOtherSessionsHandler(rt.opts...))
		case public:
			app.Add(methods, path, h)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln, fiberv3.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return client(t, "http://"+ln.Addr().String())
}

func mountNetHTTP(t *testing.T, g *paseto.Guard, respond respondFunc) doFunc {
	m := httppaseto.New(g, httppaseto.Config{})
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cl, _ := httppaseto.FromContext(r.Context())
			pair, _ := httppaseto.TokenPair(r.Context())
			var body []byte
			if rt.body {
				body, _ = io.ReadAll(r.Body)
			}
			reply := respond(r.Context(), rt, cl, pair, body, httppaseto.Device(r))
			if rt.kind == freshLoginHandler && reply.Status == 0 {
				m.FreshLogin(w, r, credentialsUser(body))
				return
			}
			if rt.silent {
				return
			}
			for _, h := range reply.Header {
				w.Header().Set(h.Name, h.Value)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(reply.Status)
			w.Write(reply.Body)
		})
		pattern := rt.method + " " + rt.path
		switch rt.kind {
		case required:
			mux.Handle(pattern, m.Required(rt.opts...)(h))
		case freshLoginHandler:
			mux.Handle(pattern, m.Required(rt.opts...)(h))
		case freshRequired:
			mux.Handle(pattern, m.FreshRequired(rt.opts...)(h))
		case optional:
			mux.Handle(pattern, m.Optional(rt.opts...)(h))
		case refreshRequired:
			mux.Handle(pattern, m.RefreshRequired(rt.opts...)(h))
		case refreshHandler:
			mux.Handle(pattern, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			mux.Handle(pattern, m.LogoutHandler(rt.opts...))
		case sessionsHandler:
			mux.Handle(pattern, m.SessionsHandler(rt.opts...))
		case revokeSessionHandler:
			mux.Handle(pattern, m.RevokeSessionHandler(sessionParam, rt.opts...))
		case revokeOthersHandler:
			mux.Handle(pattern, m.RevokeOtherSessionsHandler(rt.opts...))
		case public:
			mux.Handle(pattern, h)
		}
	}
	return serveHTTP(t, mux)
}

func serveHTTP(t *testing.T, h http.Handler) doFunc {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client(t, srv.URL)
}

func client(t *testing.T, base string) doFunc {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return func(req *http.Request) (*http.Response, error) {
		u := *req.URL
		req.URL, _ = req.URL.Parse(base + u.RequestURI())
		return c.Do(req)
	}
}
