package pasetoauth_test

// The conformance suite: one scenario table, run against every adapter.
// Each adapter is mounted in a real server built the framework's way and
// driven by real HTTP requests, so a difference between adapters shows up
// as a failing case, not as a reading of four files.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
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
)

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
	{method: "GET", path: "/not-banned", kind: required, opts: []paseto.RouteOption{paseto.WithRequirements(notBanned)}},
}

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
// runs the fresh re-login. ctx is the request's context; body is the
// request body on routes that read it.
type respondFunc func(ctx context.Context, rt route, c *paseto.Claims, pair *paseto.TokenPair, body []byte) paseto.Reply

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
			reply := respond(c.Request.Context(), rt, cl, pair, body)
			if rt.silent {
				return
			}
			for _, h := range reply.Header {
				c.Header(h.Name, h.Value)
			}
			c.Data(reply.Status, "application/json", reply.Body)
		}
		switch rt.kind {
		case required:
			r.Handle(rt.method, rt.path, m.Required(rt.opts...), h)
		case freshRequired:
			r.Handle(rt.method, rt.path, m.FreshRequired(rt.opts...), h)
		case optional:
			r.Handle(rt.method, rt.path, m.Optional(rt.opts...), h)
		case refreshRequired:
			r.Handle(rt.method, rt.path, m.RefreshRequired(rt.opts...), h)
		case refreshHandler:
			r.Handle(rt.method, rt.path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			r.Handle(rt.method, rt.path, m.LogoutHandler(rt.opts...))
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
			reply := respond(c.Request().Context(), rt, cl, pair, body)
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Response().Header().Set(h.Name, h.Value)
			}
			return c.JSONBlob(reply.Status, reply.Body)
		}
		switch rt.kind {
		case required:
			e.Add(rt.method, rt.path, h, m.Required(rt.opts...))
		case freshRequired:
			e.Add(rt.method, rt.path, h, m.FreshRequired(rt.opts...))
		case optional:
			e.Add(rt.method, rt.path, h, m.Optional(rt.opts...))
		case refreshRequired:
			e.Add(rt.method, rt.path, h, m.RefreshRequired(rt.opts...))
		case refreshHandler:
			e.Add(rt.method, rt.path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			e.Add(rt.method, rt.path, m.LogoutHandler(rt.opts...))
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
			reply := respond(c.Request().Context(), rt, cl, pair, body)
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Response().Header().Set(h.Name, h.Value)
			}
			return c.JSONBlob(reply.Status, reply.Body)
		}
		switch rt.kind {
		case required:
			e.Add(rt.method, rt.path, h, m.Required(rt.opts...))
		case freshRequired:
			e.Add(rt.method, rt.path, h, m.FreshRequired(rt.opts...))
		case optional:
			e.Add(rt.method, rt.path, h, m.Optional(rt.opts...))
		case refreshRequired:
			e.Add(rt.method, rt.path, h, m.RefreshRequired(rt.opts...))
		case refreshHandler:
			e.Add(rt.method, rt.path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			e.Add(rt.method, rt.path, m.LogoutHandler(rt.opts...))
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
			reply := respond(c.UserContext(), rt, cl, pair, body)
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Set(h.Name, h.Value)
			}
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			return c.Status(reply.Status).Send(reply.Body)
		}
		switch rt.kind {
		case required:
			app.Add(rt.method, rt.path, m.Required(rt.opts...), h)
		case freshRequired:
			app.Add(rt.method, rt.path, m.FreshRequired(rt.opts...), h)
		case optional:
			app.Add(rt.method, rt.path, m.Optional(rt.opts...), h)
		case refreshRequired:
			app.Add(rt.method, rt.path, m.RefreshRequired(rt.opts...), h)
		case refreshHandler:
			app.Add(rt.method, rt.path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			app.Add(rt.method, rt.path, m.LogoutHandler(rt.opts...))
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
			reply := respond(c.Context(), rt, cl, pair, body)
			if rt.silent {
				return nil
			}
			for _, h := range reply.Header {
				c.Set(h.Name, h.Value)
			}
			c.Set(fiberv3.HeaderContentType, fiberv3.MIMEApplicationJSON)
			return c.Status(reply.Status).Send(reply.Body)
		}
		methods := []string{rt.method}
		switch rt.kind {
		case required:
			app.Add(methods, rt.path, m.Required(rt.opts...), h)
		case freshRequired:
			app.Add(methods, rt.path, m.FreshRequired(rt.opts...), h)
		case optional:
			app.Add(methods, rt.path, m.Optional(rt.opts...), h)
		case refreshRequired:
			app.Add(methods, rt.path, m.RefreshRequired(rt.opts...), h)
		case refreshHandler:
			app.Add(methods, rt.path, m.RefreshHandler(rt.opts...))
		case logoutHandler:
			app.Add(methods, rt.path, m.LogoutHandler(rt.opts...))
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
			reply := respond(r.Context(), rt, cl, pair, body)
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

// ---- one case's world: keys, clock, store, guard, the mounted app ----

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const gracePeriod = 10 * time.Second

// storeTimeout is the Auth's store deadline in the conformance runs: short,
// so that the hung-store rows take a fraction of a second.
const storeTimeout = 200 * time.Millisecond

// flakyStore fails every call while down is set, and holds every call
// until its deadline while hung is set (a stopped Redis).
type flakyStore struct {
	paseto.Store
	down, hung atomic.Bool
}

var errStoreDown = errors.New("store down (test)")

// fail reports whether the call fails, and how: at once when down, at the
// call's deadline when hung. A call without a deadline while hung fails
// the test rather than hanging it.
func (s *flakyStore) fail(ctx context.Context) error {
	switch {
	case s.down.Load():
		return errStoreDown
	case s.hung.Load():
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("store call without a deadline (test)")
		}
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (s *flakyStore) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	if err := s.fail(ctx); err != nil {
		return false, err
	}
	return s.Store.SessionLive(ctx, subject, sid, now)
}

func (s *flakyStore) CreateSession(ctx context.Context, r paseto.SessionRecord) error {
	if err := s.fail(ctx); err != nil {
		return err
	}
	return s.Store.CreateSession(ctx, r)
}

func (s *flakyStore) Rotate(ctx context.Context, r paseto.Rotation) (paseto.RotationResult, error) {
	if err := s.fail(ctx); err != nil {
		return paseto.RotationResult{}, err
	}
	return s.Store.Rotate(ctx, r)
}

func (s *flakyStore) RevokeSession(ctx context.Context, subject, sid string) error {
	if err := s.fail(ctx); err != nil {
		return err
	}
	return s.Store.RevokeSession(ctx, subject, sid)
}

func (s *flakyStore) RevokeSubject(ctx context.Context, subject string) error {
	if err := s.fail(ctx); err != nil {
		return err
	}
	return s.Store.RevokeSubject(ctx, subject)
}

type env struct {
	t     *testing.T
	clock *fakeclock.Clock
	store *flakyStore
	auth  *paseto.Auth
	guard *paseto.Guard
	ran   atomic.Int32
	do    doFunc

	// A row's req leaves here what its then needs.
	pair    *paseto.TokenPair
	browser *browser

	// hook is what Config.OnRefresh runs; nil changes nothing.
	hook atomic.Pointer[paseto.RefreshHook]
}

// onRefresh is the Auth's Config.OnRefresh: the row's hook, if any.
func (e *env) onRefresh(ctx context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
	if h := e.hook.Load(); h != nil {
		return (*h)(ctx, c)
	}
	return paseto.RefreshUpdate{}, nil
}

// setHook makes h the Auth's refresh hook from now on; nil removes it.
func (e *env) setHook(h paseto.RefreshHook) {
	if h == nil {
		e.hook.Store(nil)
		return
	}
	e.hook.Store(&h)
}

func newEnv(t *testing.T, ad adapter) *env {
	t.Helper()
	e := &env{t: t, clock: fakeclock.New(epoch)}
	e.store = &flakyStore{Store: paseto.NewMemoryStore(paseto.MemoryStoreOptions{Clock: e.clock.Now})}
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	e.auth, err = paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Store: e.store,
		// Implicit refresh needs a grace window: a page's parallel
		// requests carry the same refresh cookie, and without one the
		// second rotation counts as reuse and revokes the session.
		GracePeriod:  gracePeriod,
		StoreTimeout: storeTimeout,
		OnRefresh:    e.onRefresh,
		Clock:        e.clock.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.guard, err = paseto.NewGuard(e.auth, paseto.GuardConfig{
		Realm:           "api",
		Cookies:         &paseto.CookieConfig{}, // __Host- names, X-CSRF-Token
		ImplicitRefresh: 2 * time.Minute,        // access tokens live 15 minutes
	})
	if err != nil {
		t.Fatal(err)
	}
	e.do = ad.mount(t, e.guard, e.respond)
	return e
}

var jsonHeader = []paseto.Header{{Name: "Content-Type", Value: "application/json"}}

func (e *env) respond(ctx context.Context, rt route, c *paseto.Claims, pair *paseto.TokenPair, body []byte) paseto.Reply {
	e.ran.Add(1)
	if rt.path == "/fresh-login" {
		return e.freshLogin(ctx, c, body)
	}
	var user any
	if c != nil {
		user = c.Subject
	}
	b, _ := json.Marshal(map[string]any{"user": user, "pair": pair != nil})
	return paseto.Reply{Status: rt.code(), Header: jsonHeader, Body: b}
}

// password is the demo password of user in the suite's user table.
func password(user string) string { return "pw-" + user }

// freshLogin is the app's fresh re-login handler, as the examples write
// it: check the credentials, then ask for a fresh access token for the
// access token's session.
func (e *env) freshLogin(ctx context.Context, c *paseto.Claims, body []byte) paseto.Reply {
	var cr struct{ Username, Password string }
	if err := json.Unmarshal(body, &cr); err != nil || cr.Password != password(cr.Username) {
		b, _ := json.Marshal(paseto.ErrorBody{Error: "invalid_credentials", Message: "wrong username or password"})
		return paseto.Reply{Status: http.StatusUnauthorized, Header: jsonHeader, Body: b}
	}
	tok, err := e.auth.FreshLogin(ctx, c, cr.Username)
	if err != nil {
		return e.guard.ProblemFor(err, nil).Reply()
	}
	b, _ := json.Marshal(tok)
	return paseto.Reply{Status: http.StatusOK, Header: []paseto.Header{{Name: "Cache-Control", Value: "no-store"}}, Body: b}
}

// freshLoginBody is the JSON credentials of user, with password pw.
func freshLoginBody(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return string(b)
}

func (e *env) login(sub string, scopes ...string) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Login(context.Background(), sub, paseto.LoginOptions{Scopes: scopes})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// loginClaims starts a session for sub whose access tokens carry claims.
func (e *env) loginClaims(sub string, claims map[string]any) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Login(context.Background(), sub, paseto.LoginOptions{Claims: claims})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// refreshed returns a pair minted by refresh: its access token is not fresh.
func (e *env) refreshed(sub string) *paseto.TokenPair {
	e.t.Helper()
	p, err := e.auth.Refresh(context.Background(), e.login(sub).RefreshToken)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// browser is a cookie session as a browser holds it.
type browser struct {
	access, refresh, csrf string
	names                 *paseto.CookieConfig
}

func (e *env) cookieLogin(sub string) *browser {
	e.t.Helper()
	cs, err := e.guard.LoginWithCookies(context.Background(), headerSink{}, sub, paseto.LoginOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{cs.Pair.AccessToken, cs.Pair.RefreshToken, cs.CSRF, e.guard.Config().Cookies}
}

// cookies is the Cookie header carrying the access (and, with refresh, the
// refresh) cookie and the CSRF cookie.
func (b *browser) cookies(refresh bool) string {
	s := b.names.AccessName + "=" + b.access + "; " + b.names.CSRFName + "=" + b.csrf
	if refresh {
		s += "; " + b.names.RefreshName + "=" + b.refresh
	}
	return s
}

func (b *browser) refreshCookies() string {
	return b.names.RefreshName + "=" + b.refresh + "; " + b.names.CSRFName + "=" + b.csrf
}

type headerSink http.Header

func (h headerSink) AddHeader(name, value string) { http.Header(h).Add(name, value) }

// publicToken is a valid v4.public access token, for a guard that takes
// v4.local ones.
func (e *env) publicToken(sub string) string {
	e.t.Helper()
	ring, err := paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	if err != nil {
		e.t.Fatal(err)
	}
	iss, err := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.WithClock(e.clock.Now))
	if err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := iss.Issue(paseto.Template{Subject: sub, Fresh: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// tamper flips one character of the token's payload (in the nonce), keeping
// it well-formed.
func tamper(tok string) string {
	b := []byte(tok)
	i := strings.Index(tok, ".") + len("local.") + 8
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// req builds a request; kv are header name/value pairs (a name may repeat).
func req(method, target string, kv ...string) *http.Request {
	return reqBody(method, target, "", kv...)
}

func reqBody(method, target, body string, kv ...string) *http.Request {
	var r io.Reader = http.NoBody
	if body != "" {
		r = strings.NewReader(body)
	}
	q, err := http.NewRequest(method, "http://app.test"+target, r)
	if err != nil {
		panic(err)
	}
	if body != "" {
		q.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Header.Add(kv[i], kv[i+1])
	}
	return q
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// ---- expectations ----

type want struct {
	status int
	// challenge is the exact WWW-Authenticate value; "" means no header.
	challenge string
	// code is the JSON body's "error"; "" on success.
	code string
	// ran: the app's handler ran. Never on a rejection; the adapters'
	// complete refresh and logout endpoints have no app handler.
	ran bool
	// user is the subject the app's handler saw; "" means anonymous.
	user string
	// clears: a rejection that expires the session cookies (a logout whose
	// access cookie is already dead); other rejections set no cookie.
	clears bool
}

// expectCleared checks that the response expires every session cookie.
func expectCleared(t *testing.T, e *env, res *result) {
	t.Helper()
	names := e.guard.Config().Cookies
	set := res.cookies()
	for _, n := range []string{names.AccessName, names.RefreshName, names.CSRFName} {
		if c := set[n]; c == nil || c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("cookie %s not expired: %q", n, res.header.Values("Set-Cookie"))
		}
	}
}

func ok(user string) want      { return want{status: 200, ran: true, user: user} }
func endpoint(status int) want { return want{status: status} }
func deny(status int, challenge, code string) want {
	return want{status: status, challenge: challenge, code: code}
}

const realm = `Bearer realm="api"`

func invalid(desc string) string {
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}

const (
	notFresh  = realm + `, error="insufficient_user_authentication", error_description="fresh token required"`
	needScope = realm + `, error="insufficient_scope", error_description="token lacks the required scope", scope="admin:users"`
	needAny   = realm + `, error="insufficient_scope", error_description="token lacks the required scope", scope="reports:read admin:users"`
	needOwn   = realm + `, error="insufficient_scope", error_description="token lacks the required scope"`
)

// result is a response, read.
type result struct {
	status int
	header http.Header
	body   []byte
	reply  struct {
		Error        string  `json:"error"`
		User         *string `json:"user"`
		Pair         bool    `json:"pair"`
		AccessToken  string  `json:"access_token"`
		RefreshToken string  `json:"refresh_token"`
		TokenType    string  `json:"token_type"`
		ExpiresIn    int64   `json:"expires_in"`
	}
}

// cookies returns the Set-Cookie cookies by name.
func (r *result) cookies() map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// expect sends q and checks the response against w.
func (e *env) expect(t *testing.T, q *http.Request, w want) *result {
	t.Helper()
	e.ran.Store(0)
	resp, err := e.do(q)
	if err != nil {
		t.Fatalf("%s %s: %v", q.Method, q.URL, err)
	}
	defer resp.Body.Close()
	res := &result{status: resp.StatusCode, header: resp.Header}
	if res.body, err = io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	if res.status != w.status {
		t.Errorf("status = %d, want %d; body %s", res.status, w.status, res.body)
	}
	got := resp.Header.Values("WWW-Authenticate")
	switch {
	case w.challenge == "" && len(got) > 0:
		t.Errorf("WWW-Authenticate = %q, want none", got)
	case w.challenge != "" && (len(got) != 1 || got[0] != w.challenge):
		t.Errorf("WWW-Authenticate = %q\n                         want %q", got, w.challenge)
	}
	if len(res.body) > 0 {
		if err := json.Unmarshal(res.body, &res.reply); err != nil {
			t.Errorf("body is not JSON: %q", res.body)
		}
	}
	switch ra := resp.Header.Values("Retry-After"); {
	case w.status == http.StatusServiceUnavailable && (len(ra) != 1 || ra[0] != "1"):
		t.Errorf("Retry-After = %q on a 503, want \"1\"", ra)
	case w.status != http.StatusServiceUnavailable && len(ra) > 0:
		t.Errorf("Retry-After = %q on a %d", ra, w.status)
	}
	if res.reply.Error != w.code {
		t.Errorf("body error = %q, want %q; body %s", res.reply.Error, w.code, res.body)
	}
	if w.code != "" {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 && !w.clears {
			t.Errorf("a rejection sets cookies: %q", sc)
		}
	}
	if ran := e.ran.Load() > 0; ran != w.ran {
		t.Errorf("handler ran = %v, want %v", ran, w.ran)
	}
	if w.ran {
		switch u := res.reply.User; {
		case w.user == "" && u != nil:
			t.Errorf("handler saw user %q, want anonymous", *u)
		case w.user != "" && (u == nil || *u != w.user):
			t.Errorf("handler saw user %v, want %q", u, w.user)
		}
	}
	return res
}

// ---- the table ----

type row struct {
	name string
	// req builds the request, setting up state through e as needed (log
	// in, advance the clock, take the store down).
	req  func(e *env) *http.Request
	want want
	// then, when set, checks more: response details and follow-up requests.
	then func(t *testing.T, e *env, res *result)
}

var rows = []row{
	// The DESIGN HTTP table, one row per line, then the edges.
	{
		name: "no token",
		req:  func(e *env) *http.Request { return req("GET", "/protected") },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "malformed token",
		req:  func(e *env) *http.Request { return req("GET", "/protected", bearer("not-a-paseto")...) },
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "tampered token",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", bearer(tamper(e.login("alice").AccessToken))...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "expired",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.clock.Advance(16 * time.Minute)
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(401, invalid("token has expired"), "expired_token"),
	},
	{
		// Crypto first: a forged token never reports a claim error.
		name: "tampered and expired",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.clock.Advance(16 * time.Minute)
			return req("GET", "/protected", bearer(tamper(tok))...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "revoked after logout",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.expect(e.t, req("POST", "/logout", bearer(tok)...), endpoint(204))
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(401, invalid("token has been revoked"), "revoked_token"),
	},
	{
		// Refresh tokens are sealed under their own key: the access ring
		// does not know its kid, so it fails as unauthenticated.
		name: "refresh token on access route",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", bearer(e.login("alice").RefreshToken)...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "not fresh on fresh route",
		req: func(e *env) *http.Request {
			return req("POST", "/fresh", bearer(e.refreshed("alice").AccessToken)...)
		},
		want: deny(401, notFresh, "insufficient_user_authentication"),
	},
	{
		name: "too old for max age",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.clock.Advance(10 * time.Minute)
			return req("POST", "/fresh-5m", bearer(tok)...)
		},
		want: deny(401, notFresh+", max_age=300", "insufficient_user_authentication"),
	},
	{
		name: "cookie POST without CSRF header",
		req: func(e *env) *http.Request {
			return req("POST", "/protected", "Cookie", e.cookieLogin("alice").cookies(false))
		},
		want: deny(403, "", "invalid_csrf_token"),
	},
	{
		name: "cookie POST with wrong CSRF header",
		req: func(e *env) *http.Request {
			return req("POST", "/protected", "Cookie", e.cookieLogin("alice").cookies(false), "X-CSRF-Token", "forged")
		},
		want: deny(403, "", "invalid_csrf_token"),
	},
	{
		name: "store down",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.down.Store(true)
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},
	{
		name: "store hung: 503 at the store deadline",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.hung.Store(true)
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},

	// The Authorization header.
	{
		name: "valid bearer",
		req:  func(e *env) *http.Request { return req("GET", "/protected", bearer(e.login("alice").AccessToken)...) },
		want: ok("alice"),
	},
	{
		name: "Bearer alone",
		req:  func(e *env) *http.Request { return req("GET", "/protected", "Authorization", "Bearer") },
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "lowercase bearer scheme",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", "Authorization", "bearer "+e.login("alice").AccessToken)
		},
		want: ok("alice"),
	},
	{
		name: "other scheme",
		req:  func(e *env) *http.Request { return req("GET", "/protected", "Authorization", "Basic dXNlcjpwYXNz") },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "two Authorization headers",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			return req("GET", "/protected", "Authorization", "Bearer "+tok, "Authorization", "Bearer "+tok)
		},
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "wrong purpose (v4.public to a v4.local guard)",
		req:  func(e *env) *http.Request { return req("GET", "/protected", bearer(e.publicToken("alice"))...) },
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "oversize header (9 KiB token)",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", bearer("v4.local."+strings.Repeat("A", 9<<10))...)
		},
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},

	// Freshness.
	{
		name: "fresh login token on fresh route",
		req:  func(e *env) *http.Request { return req("POST", "/fresh", bearer(e.login("alice").AccessToken)...) },
		want: ok("alice"),
	},
	{
		name: "fresh within max age",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.clock.Advance(time.Minute)
			return req("POST", "/fresh-5m", bearer(tok)...)
		},
		want: ok("alice"),
	},

	// Cookies and CSRF.
	{
		name: "cookie POST with CSRF header",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			return req("POST", "/protected", "Cookie", b.cookies(false), "X-CSRF-Token", b.csrf)
		},
		want: ok("alice"),
	},
	{
		name: "cookie GET without CSRF header",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", "Cookie", e.cookieLogin("alice").cookies(false))
		},
		want: ok("alice"),
	},

	// Optional routes.
	{
		name: "optional without token",
		req:  func(e *env) *http.Request { return req("GET", "/optional") },
		want: ok(""),
	},
	{
		name: "optional with valid token",
		req:  func(e *env) *http.Request { return req("GET", "/optional", bearer(e.login("alice").AccessToken)...) },
		want: ok("alice"),
	},
	{
		name: "optional with bad token",
		req: func(e *env) *http.Request {
			return req("GET", "/optional", bearer(tamper(e.login("alice").AccessToken))...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "optional with bad token, WithAnonymousOnInvalid",
		req: func(e *env) *http.Request {
			return req("GET", "/optional-lenient", bearer(tamper(e.login("alice").AccessToken))...)
		},
		want: ok(""),
	},
	{
		name: "optional, WithAnonymousOnInvalid, store down",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.down.Store(true)
			return req("GET", "/optional-lenient", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},

	// The query string.
	{
		name: "query token on a normal route",
		req:  func(e *env) *http.Request { return req("GET", "/protected?access_token="+e.login("alice").AccessToken) },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "query token with WithQueryToken",
		req:  func(e *env) *http.Request { return req("GET", "/ws?access_token="+e.login("alice").AccessToken) },
		want: ok("alice"),
	},
	{
		name: "refresh token in query on refresh route",
		req: func(e *env) *http.Request {
			rt := e.login("alice").RefreshToken
			return req("POST", "/refresh?refresh_token="+rt+"&access_token="+rt)
		},
		want: deny(401, realm, "missing_token"),
	},

	// Refresh.
	{
		name: "access token on refresh route",
		req:  func(e *env) *http.Request { return req("POST", "/refresh", bearer(e.login("alice").AccessToken)...) },
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "refresh via header",
		req:  func(e *env) *http.Request { return req("POST", "/refresh", bearer(e.login("alice").RefreshToken)...) },
		want: endpoint(200),
		then: checkTokenReply,
	},
	{
		name: "refresh via JSON body",
		req: func(e *env) *http.Request {
			return reqBody("POST", "/refresh", `{"refresh_token":"`+e.login("alice").RefreshToken+`"}`)
		},
		want: endpoint(200),
		then: checkTokenReply,
	},
	{
		name: "refresh via cookie with CSRF header",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			e.clock.Advance(time.Hour) // the new refresh cookie outlives the first
			return req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			r := res.reply
			if r.AccessToken != "" || r.RefreshToken != "" || r.TokenType != "Bearer" || r.ExpiresIn <= 0 {
				t.Errorf("cookie refresh body = %s, want no tokens", res.body)
			}
			names := e.guard.Config().Cookies
			set := res.cookies()
			access, refresh, csrf := set[names.AccessName], set[names.RefreshName], set[names.CSRFName]
			if access == nil || refresh == nil || csrf == nil || len(set) != 3 {
				t.Fatalf("Set-Cookie = %q, want new access and refresh cookies and the CSRF cookie renewed", res.header.Values("Set-Cookie"))
			}
			// The CSRF value stays (it is bound to the session) but lives as
			// long as the new refresh cookie, not the first one.
			if csrf.Value != e.browser.csrf || csrf.MaxAge != refresh.MaxAge || csrf.HttpOnly {
				t.Errorf("CSRF cookie %s, want value %q with the refresh cookie's Max-Age %d, readable by scripts", csrf, e.browser.csrf, refresh.MaxAge)
			}
			if !access.HttpOnly || !access.Secure || access.SameSite != http.SameSiteStrictMode {
				t.Errorf("access cookie attributes: %s", access)
			}
			e.expect(t, req("GET", "/protected", "Cookie", names.AccessName+"="+access.Value), ok("alice"))
		},
	},
	{
		name: "refresh via cookie without CSRF header",
		req: func(e *env) *http.Request {
			return req("POST", "/refresh", "Cookie", e.cookieLogin("alice").refreshCookies())
		},
		want: deny(403, "", "invalid_csrf_token"),
	},
	{
		name: "refresh reuse",
		req: func(e *env) *http.Request {
			first := e.login("alice")
			if _, err := e.auth.Refresh(context.Background(), first.RefreshToken); err != nil {
				e.t.Fatal(err)
			}
			e.clock.Advance(gracePeriod + time.Second)
			return req("POST", "/refresh", bearer(first.RefreshToken)...)
		},
		want: deny(401, invalid("refresh token reuse detected; session revoked"), "reused_refresh_token"),
	},
	{
		name: "refresh retry within the grace window",
		req: func(e *env) *http.Request {
			first := e.login("alice")
			next, err := e.auth.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				e.t.Fatal(err)
			}
			e.pair = next
			e.clock.Advance(gracePeriod / 2)
			return req("POST", "/refresh", bearer(first.RefreshToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			if res.reply.RefreshToken != e.pair.RefreshToken {
				t.Errorf("a retry got another successor than the first refresh")
			}
		},
	},
	{
		name: "refresh with store down",
		req: func(e *env) *http.Request {
			rt := e.login("alice").RefreshToken
			e.store.down.Store(true)
			return req("POST", "/refresh", bearer(rt)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},
	{
		name: "RefreshRequired hands the pair on",
		req: func(e *env) *http.Request {
			return req("POST", "/refresh-next", bearer(e.login("alice").RefreshToken)...)
		},
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			if !res.reply.Pair {
				t.Errorf("the handler after RefreshRequired saw no token pair: %s", res.body)
			}
		},
	},

	// Logout.
	{
		name: "logout",
		req: func(e *env) *http.Request {
			p := e.login("alice")
			e.pair = p
			return req("POST", "/logout", bearer(p.AccessToken)...)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			p := e.pair
			for name, c := range res.cookies() {
				if c.MaxAge >= 0 {
					t.Errorf("logout cookie %s not expired: %s", name, c)
				}
			}
			e.expect(t, req("GET", "/protected", bearer(p.AccessToken)...),
				deny(401, invalid("token has been revoked"), "revoked_token"))
			e.expect(t, req("POST", "/refresh", bearer(p.RefreshToken)...),
				deny(401, invalid("token has been revoked"), "revoked_token"))
		},
	},
	{
		name: "logout without token",
		req:  func(e *env) *http.Request { return req("POST", "/logout") },
		want: want{status: 401, challenge: realm, code: "missing_token", clears: true},
		then: expectCleared,
	},
	{
		name: "cookie logout of a revoked session clears the dead cookies",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			if err := e.auth.RevokeSubject(context.Background(), "alice"); err != nil {
				e.t.Fatal(err)
			}
			return req("POST", "/logout", "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf)
		},
		// The refresh cookie names the session, which is already over:
		// ending it again succeeds.
		want: want{status: 204, clears: true},
		then: expectCleared,
	},
	{
		name: "cookie logout after the access cookie expired ends the session by its refresh cookie",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			return req("POST", "/logout", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf)
		},
		want: want{status: 204, clears: true},
		then: func(t *testing.T, e *env, res *result) {
			expectCleared(t, e, res)
			b := e.browser
			e.expect(t, req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf),
				deny(401, invalid("token has been revoked"), "revoked_token"))
			e.expect(t, req("GET", "/protected", "Cookie", b.cookies(true)),
				deny(401, invalid("token has been revoked"), "revoked_token"))
		},
	},
	{
		name: "cookie logout by refresh cookie without CSRF header ends nothing",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			return req("POST", "/logout", "Cookie", b.refreshCookies())
		},
		want: want{status: 403, code: "invalid_csrf_token", clears: true},
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(true)), ok("alice"))
		},
	},
	{
		name: "cookie logout without CSRF header ends nothing and still expires the cookies",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			return req("POST", "/logout", "Cookie", b.cookies(true))
		},
		want: want{status: 403, code: "invalid_csrf_token", clears: true},
		then: func(t *testing.T, e *env, res *result) {
			expectCleared(t, e, res)
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(true)), ok("alice"))
		},
	},
	{
		name: "cookie logout with the store down: 503, cookies kept for the retry",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			e.store.down.Store(true)
			return req("POST", "/logout", "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf)
		},
		want: deny(503, "", "temporarily_unavailable"),
		then: func(t *testing.T, e *env, res *result) {
			b := e.browser
			e.store.down.Store(false)
			retry := e.expect(t, req("POST", "/logout", "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf), want{status: 204, clears: true})
			expectCleared(t, e, retry)
			e.expect(t, req("GET", "/protected", "Cookie", b.cookies(true)),
				deny(401, invalid("token has been revoked"), "revoked_token"))
		},
	},
	{
		name: "cookie refresh with a planted refresh cookie sent first uses the browser's own",
		req: func(e *env) *http.Request {
			b, planted := e.cookieLogin("alice"), e.cookieLogin("mallory")
			e.browser = b
			return req("POST", "/refresh", "Cookie", b.names.RefreshName+"="+planted.refresh+"; "+b.refreshCookies(), "X-CSRF-Token", b.csrf)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			var got struct{ Sub string }
			for _, c := range res.cookies() {
				if c.Name == e.browser.names.AccessName {
					claims, err := e.auth.VerifyAccess(context.Background(), c.Value)
					if err != nil || claims.Subject != "alice" {
						t.Errorf("new access cookie: %v, %v; want alice's", claims, err)
					}
					got.Sub = "alice"
				}
			}
			if got.Sub == "" {
				t.Errorf("no new access cookie: %q", res.header.Values("Set-Cookie"))
			}
		},
	},
	{
		name: "cookie logout with a planted refresh cookie sent first ends the browser's own session",
		req: func(e *env) *http.Request {
			b, planted := e.cookieLogin("alice"), e.cookieLogin("mallory")
			e.browser = b
			e.pair = &paseto.TokenPair{RefreshToken: planted.refresh}
			return req("POST", "/logout", "Cookie", b.names.RefreshName+"="+planted.refresh+"; "+b.refreshCookies(), "X-CSRF-Token", b.csrf)
		},
		want: want{status: 204, clears: true},
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(true)),
				deny(401, invalid("token has been revoked"), "revoked_token"))
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},

	// Scopes.
	{
		name: "scope granted by wildcard",
		req: func(e *env) *http.Request {
			return req("GET", "/admin", bearer(e.login("alice", "admin:*").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "scope not granted (administrator)",
		req: func(e *env) *http.Request {
			return req("GET", "/admin", bearer(e.login("alice", "administrator").AccessToken)...)
		},
		want: deny(403, needScope, "insufficient_scope"),
	},
	{
		name: "scope needed, token has none",
		req: func(e *env) *http.Request {
			return req("GET", "/admin", bearer(e.login("alice").AccessToken)...)
		},
		want: deny(403, needScope, "insufficient_scope"),
	},
	{
		name: "any-of scopes, one granted",
		req: func(e *env) *http.Request {
			return req("GET", "/reports", bearer(e.login("alice", "reports:read").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "any-of scopes, none granted",
		req: func(e *env) *http.Request {
			return req("GET", "/reports", bearer(e.login("alice", "reports:write", "admin").AccessToken)...)
		},
		want: deny(403, needAny, "insufficient_scope"),
	},
	{
		name: "scope check after authentication (expired token with the scope)",
		req: func(e *env) *http.Request {
			tok := e.login("alice", "admin:*").AccessToken
			e.clock.Advance(paseto.DefaultAccessLifetime + time.Second)
			return req("GET", "/admin", bearer(tok)...)
		},
		want: deny(401, invalid("token has expired"), "expired_token"),
	},
	{
		name: "scope on a fresh route, refreshed token keeps the scope but is not fresh",
		req: func(e *env) *http.Request {
			first := e.login("alice", "admin:users")
			next, err := e.auth.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				e.t.Fatal(err)
			}
			return req("POST", "/admin-fresh", bearer(next.AccessToken)...)
		},
		want: deny(401, notFresh, "insufficient_user_authentication"),
	},
	{
		name: "scope on a fresh route, fresh token with the scope",
		req: func(e *env) *http.Request {
			return req("POST", "/admin-fresh", bearer(e.login("alice", "admin:users").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "refresh never widens scopes",
		req: func(e *env) *http.Request {
			first := e.login("alice", "reports:read")
			next, err := e.auth.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				e.t.Fatal(err)
			}
			return req("GET", "/admin", bearer(next.AccessToken)...)
		},
		want: deny(403, needScope, "insufficient_scope"),
	},
	{
		name: "own authorization check passes",
		req: func(e *env) *http.Request {
			return req("GET", "/staff", bearer(e.loginClaims("alice", map[string]any{"tenant": "staff"}).AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "own authorization check refuses",
		req: func(e *env) *http.Request {
			return req("GET", "/staff", bearer(e.loginClaims("alice", map[string]any{"tenant": "customer"}).AccessToken)...)
		},
		want: deny(403, needOwn, "insufficient_scope"),
	},

	// Implicit refresh of cookie sessions near expiry.
	{
		name: "implicit refresh on success",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.clock.Advance(14 * time.Minute)
			e.browser = b
			return req("GET", "/protected", "Cookie", b.cookies(true))
		},
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			b, names := e.browser, e.guard.Config().Cookies
			set := res.cookies()
			access, refresh := set[names.AccessName], set[names.RefreshName]
			if access == nil || refresh == nil || access.Value == b.access || refresh.Value == b.refresh {
				t.Fatalf("Set-Cookie = %q, want a new access and refresh cookie", res.header.Values("Set-Cookie"))
			}
			e.expect(t, req("GET", "/protected", "Cookie", names.AccessName+"="+access.Value), ok("alice"))
		},
	},
	{
		name: "implicit refresh on a success without a body",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.clock.Advance(14 * time.Minute)
			e.browser = b
			return req("GET", "/silent", "Cookie", b.cookies(true))
		},
		want: want{status: 200, ran: true},
		then: func(t *testing.T, e *env, res *result) {
			b, names := e.browser, e.guard.Config().Cookies
			set := res.cookies()
			access, refresh := set[names.AccessName], set[names.RefreshName]
			if access == nil || refresh == nil || access.Value == b.access || refresh.Value == b.refresh {
				t.Fatalf("Set-Cookie = %q, want a new access and refresh cookie", res.header.Values("Set-Cookie"))
			}
			e.expect(t, req("GET", "/protected", "Cookie", names.AccessName+"="+access.Value), ok("alice"))
		},
	},
	{
		// Two requests of one page load, both sent with the old cookies:
		// the second rotation is a retry within the grace window.
		name: "implicit refresh of parallel requests",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.clock.Advance(14 * time.Minute)
			e.browser = b
			e.expect(e.t, req("GET", "/protected", "Cookie", b.cookies(true)), ok("alice"))
			return req("GET", "/protected", "Cookie", b.cookies(true))
		},
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			b, names := e.browser, e.guard.Config().Cookies
			refresh := res.cookies()[names.RefreshName]
			if refresh == nil {
				t.Fatalf("Set-Cookie = %q, want the refresh cookie", res.header.Values("Set-Cookie"))
			}
			b.refresh = refresh.Value
			e.expect(t, req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf), endpoint(200))
		},
	},
	{
		name: "implicit refresh skipped on a failed response",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.clock.Advance(14 * time.Minute)
			e.browser = b
			return req("GET", "/fail", "Cookie", b.cookies(true))
		},
		want: want{status: 500, ran: true, user: "alice"},
		then: func(t *testing.T, e *env, res *result) {
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a failed response rotated the session: Set-Cookie %q", sc)
			}
			b := e.browser
			e.expect(t, req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf), endpoint(200))
		},
	},
	{
		name: "implicit refresh ignores another session's refresh cookie",
		req: func(e *env) *http.Request {
			mine, planted := e.cookieLogin("alice"), e.cookieLogin("mallory")
			e.clock.Advance(14 * time.Minute)
			e.browser = planted
			return req("GET", "/protected", "Cookie", mine.cookies(false)+"; "+planted.names.RefreshName+"="+planted.refresh)
		},
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("rotated a planted refresh cookie: Set-Cookie %q", sc)
			}
			b := e.browser
			e.expect(t, req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf), endpoint(200))
		},
	},

	// A Requirement with the request's context.
	{
		name: "requirement with context passes",
		req: func(e *env) *http.Request {
			return req("GET", "/not-banned", bearer(e.login("alice").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "requirement with context refuses",
		req: func(e *env) *http.Request {
			return req("GET", "/not-banned", bearer(e.login("mallory").AccessToken)...)
		},
		want: deny(403, needOwn, "insufficient_scope"),
	},

	// Fresh re-login within a session.
	{
		name: "fresh re-login: a fresh token for the same session",
		req: func(e *env) *http.Request {
			e.pair = e.refreshed("alice")
			e.clock.Advance(10 * time.Minute)
			return reqBody("POST", "/fresh-login", freshLoginBody("alice", password("alice")), bearer(e.pair.AccessToken)...)
		},
		want: want{status: 200, ran: true},
		then: func(t *testing.T, e *env, res *result) {
			r := res.reply
			if r.AccessToken == "" || r.RefreshToken != "" || r.TokenType != "Bearer" || r.ExpiresIn != int64(paseto.DefaultAccessLifetime/time.Second) {
				t.Fatalf("fresh re-login body = %s, want access_token, token_type and expires_in only", res.body)
			}
			if cc := res.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			c, err := e.auth.VerifyAccess(context.Background(), r.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if c.Session != e.pair.Access.Session || !c.Fresh {
				t.Errorf("fresh token: sid %q fresh %v, want the caller's sid %q, fresh", c.Session, c.Fresh, e.pair.Access.Session)
			}
			e.expect(t, req("POST", "/fresh", bearer(r.AccessToken)...), ok("alice"))
			e.expect(t, req("POST", "/fresh-5m", bearer(r.AccessToken)...), ok("alice"))
			// The session's refresh token is unchanged and still rotates.
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "fresh re-login: logging out with the new token ends the session",
		req: func(e *env) *http.Request {
			e.pair = e.login("alice")
			res := e.expect(e.t, reqBody("POST", "/fresh-login", freshLoginBody("alice", password("alice")), bearer(e.pair.AccessToken)...),
				want{status: 200, ran: true})
			return req("POST", "/logout", bearer(res.reply.AccessToken)...)
		},
		want: endpoint(204),
		then: func(t *testing.T, e *env, res *result) {
			revoked := deny(401, invalid("token has been revoked"), "revoked_token")
			e.expect(t, req("GET", "/protected", bearer(e.pair.AccessToken)...), revoked)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), revoked)
		},
	},
	{
		name: "fresh re-login with another user's credentials",
		req: func(e *env) *http.Request {
			e.pair = e.refreshed("alice")
			return reqBody("POST", "/fresh-login", freshLoginBody("bob", password("bob")), bearer(e.pair.AccessToken)...)
		},
		want: want{status: 401, ran: true, code: "mismatched_subject",
			challenge: invalid("credentials are not those of the token's subject")},
		then: func(t *testing.T, e *env, res *result) {
			// Nothing changed: the session lives, and no fresh token.
			e.expect(t, req("POST", "/fresh", bearer(e.pair.AccessToken)...), deny(401, notFresh, "insufficient_user_authentication"))
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "fresh re-login with a wrong password",
		req: func(e *env) *http.Request {
			return reqBody("POST", "/fresh-login", freshLoginBody("alice", "guess"), bearer(e.refreshed("alice").AccessToken)...)
		},
		want: want{status: 401, ran: true, code: "invalid_credentials"},
	},
	{
		name: "fresh re-login without an access token",
		req: func(e *env) *http.Request {
			return reqBody("POST", "/fresh-login", freshLoginBody("alice", password("alice")))
		},
		want: deny(401, realm, "missing_token"),
	},

	// The refresh hook (Config.OnRefresh).
	{
		name: "refresh hook refuses a user: session ended",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				if c.Subject == "mallory" {
					return paseto.RefreshUpdate{}, fmt.Errorf("%w: account disabled", paseto.ErrRefreshDenied)
				}
				return paseto.RefreshUpdate{}, nil
			})
			e.pair = e.login("mallory")
			return req("POST", "/refresh", bearer(e.pair.RefreshToken)...)
		},
		want: deny(401, invalid("refresh denied; session ended"), "denied_refresh"),
		then: func(t *testing.T, e *env, res *result) {
			revoked := deny(401, invalid("token has been revoked"), "revoked_token")
			e.expect(t, req("GET", "/protected", bearer(e.pair.AccessToken)...), revoked)
			// The hook runs before the store, so it refuses again ...
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...),
				deny(401, invalid("refresh denied; session ended"), "denied_refresh"))
			// ... and without it the store does: the session is over.
			e.setHook(nil)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), revoked)
			// Other users refresh as before.
			e.expect(t, req("POST", "/refresh", bearer(e.login("alice").RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "refresh hook refuses an implicit refresh: session ended",
		req: func(e *env) *http.Request {
			e.setHook(func(context.Context, *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{}, paseto.ErrRefreshDenied
			})
			b := e.cookieLogin("alice")
			e.clock.Advance(14 * time.Minute)
			e.browser = b
			return req("GET", "/protected", "Cookie", b.cookies(true))
		},
		// The request was authorized before the refresh was due.
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a refused implicit refresh set cookies: %q", sc)
			}
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(false)),
				deny(401, invalid("token has been revoked"), "revoked_token"))
		},
	},
	{
		name: "refresh hook changes a claim",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Claims: map[string]any{"tenant": "staff"}}, nil
			})
			p := e.loginClaims("alice", map[string]any{"tenant": "guest"})
			e.expect(e.t, req("GET", "/staff", bearer(p.AccessToken)...), deny(403, needOwn, "insufficient_scope"))
			return req("POST", "/refresh", bearer(p.RefreshToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/staff", bearer(res.reply.AccessToken)...), ok("alice"))
		},
	},
	{
		name: "refresh hook narrows scopes, and a later refresh restores them within the grant",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Scopes: []string{"reports:read"}}, nil
			})
			p := e.login("alice", "admin:*", "reports:read")
			return req("POST", "/refresh", bearer(p.RefreshToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			tok := res.reply.AccessToken
			e.expect(t, req("GET", "/admin", bearer(tok)...), deny(403, needScope, "insufficient_scope"))
			e.expect(t, req("GET", "/reports", bearer(tok)...), ok("alice"))
			// admin:users is within admin:*, so the hook may grant it.
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Scopes: []string{"admin:users"}}, nil
			})
			next := e.expect(t, req("POST", "/refresh", bearer(res.reply.RefreshToken)...), endpoint(200))
			e.expect(t, req("GET", "/admin", bearer(next.reply.AccessToken)...), ok("alice"))
		},
	},
	{
		name: "refresh hook widening scopes is refused: 500, nothing changed",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Scopes: []string{"reports:read", "admin:users"}}, nil
			})
			e.pair = e.login("alice", "reports:read")
			return req("POST", "/refresh", bearer(e.pair.RefreshToken)...)
		},
		want: deny(500, "", "server_error"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/reports", bearer(e.pair.AccessToken)...), ok("alice"))
			e.setHook(nil)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "refresh hook failure: 500, nothing changed",
		req: func(e *env) *http.Request {
			e.setHook(func(context.Context, *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{}, fmt.Errorf("user database: %w", paseto.ErrRevoked)
			})
			e.pair = e.login("alice")
			return req("POST", "/refresh", bearer(e.pair.RefreshToken)...)
		},
		want: deny(500, "", "server_error"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", bearer(e.pair.AccessToken)...), ok("alice"))
			e.setHook(nil)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
}

// checkTokenReply checks a refresh reply with the tokens in the body, then
// uses the new access token.
func checkTokenReply(t *testing.T, e *env, res *result) {
	t.Helper()
	r := res.reply
	if r.AccessToken == "" || r.RefreshToken == "" || r.TokenType != "Bearer" || r.ExpiresIn <= 0 {
		t.Errorf("refresh body = %s, want the OAuth 2.0 token response", res.body)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("a header or body refresh set cookies: %q", sc)
	}
	e.expect(t, req("GET", "/protected", bearer(r.AccessToken)...), ok("alice"))
	e.expect(t, req("POST", "/fresh", bearer(r.AccessToken)...), deny(401, notFresh, "insufficient_user_authentication"))
}

func TestConformance(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			for _, r := range rows {
				t.Run(r.name, func(t *testing.T) {
					e := newEnv(t, ad)
					res := e.expect(t, r.req(e), r.want)
					if r.then != nil {
						r.then(t, e, res)
					}
				})
			}
		})
	}
	t.Logf("conformance: %d rows x %d adapters = %d cases", len(rows), len(adapters), len(rows)*len(adapters))
}
