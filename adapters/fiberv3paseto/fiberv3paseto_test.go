package fiberv3paseto_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

func get(path, token string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// noTimeout: app.Test's default one-second timeout would make a slow,
// loaded machine fail the test.
var noTimeout = fiber.TestConfig{Timeout: 0}

func send(t *testing.T, app *fiber.App, r *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := app.Test(r, noTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

const realm = `Bearer realm="api"`

func invalid(desc string) string {
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}

// Rejections seen from the outside: status, challenge, body code, and the
// handler did not run; a custom ErrorHandler sees the paseto sentinel.
func TestRejections(t *testing.T) {
	for _, tc := range []struct {
		name      string
		req       func(f *adaptertest.Fixture) *http.Request
		status    int
		challenge string
		code      string
		sentinel  error
	}{
		{
			name:   "no token",
			req:    func(f *adaptertest.Fixture) *http.Request { return get("/p", "") },
			status: 401, challenge: realm, code: "missing_token", sentinel: paseto.ErrMissingToken,
		},
		{
			name:   "malformed token",
			req:    func(f *adaptertest.Fixture) *http.Request { return get("/p", "v4.local.not-a-token") },
			status: 401, challenge: invalid("malformed token"), code: "malformed_token", sentinel: paseto.ErrMalformed,
		},
		{
			name: "expired",
			req: func(f *adaptertest.Fixture) *http.Request {
				tok := f.Login(t, "alice").AccessToken
				f.Clock.Advance(paseto.DefaultAccessLifetime + time.Second)
				return get("/p", tok)
			},
			status: 401, challenge: invalid("token has expired"), code: "expired_token", sentinel: paseto.ErrExpired,
		},
		{
			name: "cookie POST without the CSRF header",
			req: func(f *adaptertest.Fixture) *http.Request {
				cookie, _ := f.CookieLogin(t, "alice")
				q := httptest.NewRequest("POST", "/p", nil)
				q.Header.Set("Cookie", cookie)
				return q
			},
			status: 403, code: "invalid_csrf_token", sentinel: paseto.ErrCSRF,
		},
		{
			name: "refreshed token on a fresh route",
			req: func(f *adaptertest.Fixture) *http.Request {
				p, err := f.Auth.Refresh(t.Context(), f.Login(t, "alice").RefreshToken)
				if err != nil {
					t.Fatal(err)
				}
				return get("/fresh", p.AccessToken)
			},
			status:    401,
			challenge: realm + `, error="insufficient_user_authentication", error_description="fresh token required"`,
			code:      "insufficient_user_authentication", sentinel: paseto.ErrNotFresh,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptertest.New(t, false)
			var seen error
			m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{ErrorHandler: func(c fiber.Ctx, p paseto.Problem, err error) error {
				seen = err
				return fiberv3paseto.DefaultErrorHandler(c, p, err)
			}})
			app := fiber.New()
			ran := false
			h := func(c fiber.Ctx) error { ran = true; return c.SendStatus(fiber.StatusOK) }
			app.Get("/p", m.Required(), h)
			app.Post("/p", m.Required(), h)
			app.Get("/fresh", m.FreshRequired(), h)

			resp, body := send(t, app, tc.req(f))
			if resp.StatusCode != tc.status || ran {
				t.Fatalf("status %d, handler ran %v; want %d, not run", resp.StatusCode, ran, tc.status)
			}
			if got := resp.Header.Values("WWW-Authenticate"); tc.challenge == "" && len(got) > 0 ||
				tc.challenge != "" && (len(got) != 1 || got[0] != tc.challenge) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			var b struct{ Error, Message string }
			if err := json.Unmarshal([]byte(body), &b); err != nil || b.Error != tc.code {
				t.Errorf("body %q (%v), want error %q", body, err, tc.code)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if !errors.Is(seen, tc.sentinel) {
				t.Errorf("ErrorHandler got %v, want %v", seen, tc.sentinel)
			}
		})
	}
}

// Next returning true skips the middleware.
func TestNext(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{
		Next: func(c fiber.Ctx) bool { return c.Path() == "/health" },
	})
	app := fiber.New()
	app.Use(m.Required())
	app.Get("/health", func(c fiber.Ctx) error {
		_, ok := fiberv3paseto.Claims(c)
		return c.SendString(map[bool]string{true: "claims", false: "none"}[ok])
	})
	app.Get("/p", func(c fiber.Ctx) error { return c.SendString("ran") })

	if resp, body := send(t, app, get("/health", "")); resp.StatusCode != 200 || body != "none" {
		t.Errorf("/health: %d %q", resp.StatusCode, body)
	}
	if resp, body := send(t, app, get("/p", "")); resp.StatusCode != 401 || body == "ran" {
		t.Errorf("/p: %d %q, want 401", resp.StatusCode, body)
	}
}

// fasthttp reuses request memory after the handler returns: what the
// getters return must not point into it. The subject is kept past the
// request, then the buffers are reused by other requests of the same shape.
func TestSubjectSurvivesTheRequest(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
	app := fiber.New()
	var kept []string
	app.Get("/p", m.Required(), func(c fiber.Ctx) error {
		kept = append(kept, fiberv3paseto.Subject(c))
		return c.SendStatus(fiber.StatusNoContent)
	})
	subjects := []string{"alice-0000000000", "mallory-00000000", "bob-000000000000"}
	for _, s := range subjects {
		if resp, _ := send(t, app, get("/p", f.Login(t, s).AccessToken)); resp.StatusCode != 204 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	for range 50 { // churn the request buffers
		send(t, app, get("/p", strings.Repeat("x", 300)))
	}
	for i, s := range subjects {
		if kept[i] != s {
			t.Errorf("subject kept from request %d is now %q, want %q", i, kept[i], s)
		}
	}
}

// ReturnFiberError hands the rejection to fiber.Config.ErrorHandler as a
// *fiber.Error, with the challenge already set.
func TestReturnFiberError(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{ErrorHandler: fiberv3paseto.ReturnFiberError})
	var seen error
	app := fiber.New(fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
		seen = err
		return fiber.DefaultErrorHandler(c, err)
	}})
	ran := false
	app.Get("/p", m.Required(), func(c fiber.Ctx) error { ran = true; return nil })
	resp, body := send(t, app, get("/p", ""))
	var fe *fiber.Error
	if !errors.As(seen, &fe) || fe.Code != 401 || resp.StatusCode != 401 || ran {
		t.Fatalf("ErrorHandler got %v; status %d, handler ran %v", seen, resp.StatusCode, ran)
	}
	if body != "no token" || resp.Header.Get("WWW-Authenticate") != realm {
		t.Errorf("body %q, WWW-Authenticate %q", body, resp.Header.Get("WWW-Authenticate"))
	}
}

// A custom ErrorHandler that writes its own answer still stops the chain.
func TestCustomErrorHandlerCannotLetThrough(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{ErrorHandler: func(c fiber.Ctx, p paseto.Problem, err error) error {
		return c.Status(fiber.StatusTeapot).SendString(paseto.Code(err))
	}})
	app := fiber.New()
	ran := false
	app.Get("/p", m.Required(), func(c fiber.Ctx) error { ran = true; return nil })
	if resp, body := send(t, app, get("/p", "")); resp.StatusCode != fiber.StatusTeapot || body != "missing_token" || ran {
		t.Fatalf("status %d body %q, handler ran %v", resp.StatusCode, body, ran)
	}
}

// With fiber's default ReadBufferSize, fasthttp answers a request whose
// headers exceed 4 KiB with 431 before any handler runs: the conformance
// suite raises the buffer so that its 9 KiB token reaches the middleware.
func TestDefaultReadBufferAnswers431(t *testing.T) {
	f := adaptertest.New(t, false)
	app := fiber.New()
	ran := false
	app.Get("/p", fiberv3paseto.New(f.Guard, fiberv3paseto.Config{}).Required(), func(c fiber.Ctx) error { ran = true; return nil })
	// A real listener: app.Test reports the read error instead of the
	// answer a client gets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	defer app.Shutdown()
	resp := adaptertest.GetOversizeToken(t, "http://"+ln.Addr().String()+"/p")
	if resp.StatusCode != fiber.StatusRequestHeaderFieldsTooLarge || ran {
		t.Fatalf("status %d, handler ran %v", resp.StatusCode, ran)
	}
}

// The getters take what fiber.ValueFromContext takes: the fiber.Ctx, its
// *fasthttp.RequestCtx, and, with PassLocalsToContext, c.Context().
func TestGetters(t *testing.T) {
	for _, pass := range []bool{false, true} {
		f := adaptertest.New(t, false)
		m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
		app := fiber.New(fiber.Config{PassLocalsToContext: pass})
		type seen struct {
			sub, fromFast, fromCtx string
			claimsOK, pairOK       bool
		}
		var s seen
		app.Get("/p", m.Required(), func(c fiber.Ctx) error {
			s.sub = fiberv3paseto.Subject(c)
			s.fromFast = fiberv3paseto.Subject(c.RequestCtx())
			s.fromCtx = fiberv3paseto.Subject(c.Context())
			_, s.claimsOK = fiberv3paseto.Claims(c)
			_, s.pairOK = fiberv3paseto.TokenPair(c)
			return nil
		})
		app.Post("/refresh", m.RefreshRequired(), func(c fiber.Ctx) error {
			_, s.pairOK = fiberv3paseto.TokenPair(c)
			return nil
		})
		app.Get("/open", func(c fiber.Ctx) error {
			_, ok := fiberv3paseto.Claims(c)
			return c.SendString(map[bool]string{true: "claims", false: "none"}[ok])
		})
		send(t, app, get("/p", f.Login(t, "alice").AccessToken))
		want := seen{sub: "alice", fromFast: "alice", claimsOK: true}
		if pass {
			want.fromCtx = "alice"
		}
		if s != want {
			t.Fatalf("PassLocalsToContext %v: saw %+v, want %+v", pass, s, want)
		}
		q := httptest.NewRequest("POST", "/refresh", nil)
		q.Header.Set("Authorization", "Bearer "+f.Login(t, "alice").RefreshToken)
		send(t, app, q)
		if !s.pairOK {
			t.Error("TokenPair after RefreshRequired: none")
		}
		if _, body := send(t, app, get("/open", "")); body != "none" {
			t.Error("claims outside the middleware")
		}
	}
	if _, ok := fiberv3paseto.Claims("not a context"); ok {
		t.Error("claims from a string")
	}
}

// fasthttp buffers the response: the implicit refresh runs after the chain
// with its final status, and a returned error (rendered later by the app's
// ErrorHandler) never rotates.
func TestImplicitRefreshSeesFinalStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler fiber.Handler
		rotate  bool
	}{
		{"200", func(c fiber.Ctx) error { return c.SendString("ok") }, true},
		{"status 502", func(c fiber.Ctx) error { return c.Status(fiber.StatusBadGateway).SendString("x") }, false},
		{"returned error", func(c fiber.Ctx) error { return errors.New("boom") }, false},
		{"returned fiber.Error 409", func(c fiber.Ctx) error { return fiber.ErrConflict }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptertest.New(t, false)
			m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
			app := fiber.New()
			app.Get("/p", m.Required(), tc.handler)
			cookie, _ := f.CookieLogin(t, "alice")
			f.Clock.Advance(14 * time.Minute) // within the 2-minute implicit refresh window
			q := get("/p", "")
			q.Header.Set("Cookie", cookie)
			resp, _ := send(t, app, q)
			if got := len(resp.Cookies()) > 0; got != tc.rotate {
				t.Fatalf("status %d: rotated %v, want %v", resp.StatusCode, got, tc.rotate)
			}
		})
	}
}

// LoginWithCookies and ClearSessionCookies set and expire the session
// cookies; the cookie-borne token then follows the CSRF rule.
func TestCookieLogin(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
	app := fiber.New()
	app.Post("/login", func(c fiber.Ctx) error {
		cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
		if err != nil {
			return err
		}
		return c.SendString(cs.CSRF)
	})
	ok := func(c fiber.Ctx) error { return c.SendStatus(http.StatusOK) }
	app.Get("/p", m.Required(), ok)
	app.Post("/p", m.Required(), ok)
	app.Post("/logout-cookies", func(c fiber.Ctx) error {
		m.ClearSessionCookies(c)
		return c.SendStatus(http.StatusNoContent)
	})
	adaptertest.CheckCookieLogin(t, f.Guard, func(req *http.Request) *http.Response {
		resp, err := app.Test(req, noTimeout)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	})
}

// Without a cookie configuration, LoginWithCookies fails and sets nothing.
func TestCookieLoginNeedsCookieConfig(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.NoCookieGuard(t), fiberv3paseto.Config{})
	app := fiber.New()
	var got error
	app.Post("/login", func(c fiber.Ctx) error {
		cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
		got = err
		if cs != nil {
			t.Errorf("session %v returned with error %v", cs, err)
		}
		return c.SendStatus(http.StatusTeapot)
	})
	resp, _ := send(t, app, httptest.NewRequest("POST", "/login", nil))
	if !errors.Is(got, paseto.ErrConfig) || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("got %v, Set-Cookie %v; want ErrConfig and nothing set", got, resp.Header.Values("Set-Cookie"))
	}
}

// A hung store is answered 503 temporarily_unavailable with Retry-After within
// the store timeout, on the protected route, the refresh endpoint and the
// logout endpoint, and the handler never runs; the same tokens work once
// the store is back.
func TestStoreStall(t *testing.T) {
	const timeout = 100 * time.Millisecond
	f, s := adaptertest.NewStalling(t, timeout)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
	var ran atomic.Int64
	app := fiber.New()
	app.Get("/p", m.Required(), func(c fiber.Ctx) error { ran.Add(1); return c.SendStatus(fiber.StatusOK) })
	app.Post("/refresh", m.RefreshHandler())
	app.Post("/logout", m.LogoutHandler())
	adaptertest.CheckStoreStall(t, f, s, timeout, &ran, func(req *http.Request) *http.Response {
		resp, err := app.Test(req, noTimeout)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	})
}

// ReturnFiberError sets Retry-After too, for the app's ErrorHandler to
// keep.
func TestReturnFiberErrorRetryAfter(t *testing.T) {
	const timeout = 50 * time.Millisecond
	f, s := adaptertest.NewStalling(t, timeout)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{ErrorHandler: fiberv3paseto.ReturnFiberError})
	app := fiber.New()
	ran := false
	app.Get("/p", m.Required(), func(c fiber.Ctx) error { ran = true; return nil })
	tok := f.Login(t, "alice").AccessToken
	s.Set(pasetotest.Hang)
	resp, body := send(t, app, get("/p", tok))
	if resp.StatusCode != fiber.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || ran {
		t.Fatalf("status %d, Retry-After %q, body %q, handler ran %v; want 503 with Retry-After: 1", resp.StatusCode, resp.Header.Get("Retry-After"), body, ran)
	}
}

// A custom ErrorHandler that writes its own body keeps the challenge.
func TestCustomErrorHandlerKeepsChallenge(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{ErrorHandler: func(c fiber.Ctx, _ paseto.Problem, _ error) error {
		return c.Status(fiber.StatusTeapot).SendString(adaptertest.CustomBody)
	}})
	app := fiber.New()
	app.Get("/p", m.Required(), func(c fiber.Ctx) error { return nil })
	adaptertest.CheckChallengeKept(t, func(req *http.Request) *http.Response {
		resp, err := app.Test(req, noTimeout)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	})
}

// The session list endpoints: listing, revoking one, revoking the others,
// and their rejections.
func TestSessionRoutes(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
	var ran atomic.Int64
	app := fiber.New()
	app.Get("/p", m.Required(), func(c fiber.Ctx) error { ran.Add(1); return c.SendStatus(fiber.StatusOK) })
	app.Get("/sessions", m.SessionsHandler())
	app.Delete("/sessions/:id", m.RevokeSessionHandler("id"))
	app.Post("/sessions/revoke-others", m.RevokeOtherSessionsHandler())
	adaptertest.CheckSessionRoutes(t, f, &ran, func(req *http.Request) *http.Response {
		resp, err := app.Test(req, noTimeout)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	})
}

// Device reads the user agent and c.IP(): app.Test's in-memory connection
// has no peer address, so fasthttp reports 0.0.0.0.
func TestDevice(t *testing.T) {
	app := fiber.New()
	app.Get("/device", func(c fiber.Ctx) error { return c.JSON(fiberv3paseto.Device(c)) })
	adaptertest.CheckDevice(t, "0.0.0.0", func(req *http.Request) *http.Response {
		resp, err := app.Test(req, noTimeout)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	})
}

// fasthttp reuses request memory after the handler returns: neither the
// Device nor the session ID RevokeSessionHandler hands the core (which
// passes it on to security events) may point into it.
func TestDeviceAndSessionIDSurviveTheRequest(t *testing.T) {
	f := adaptertest.New(t, false)
	m := fiberv3paseto.New(f.Guard, fiberv3paseto.Config{})
	app := fiber.New()
	var kept []paseto.Device
	app.Get("/device", func(c fiber.Ctx) error {
		kept = append(kept, fiberv3paseto.Device(c))
		return c.SendStatus(fiber.StatusNoContent)
	})
	app.Delete("/sessions/:id", m.RevokeSessionHandler("id"))

	agents := []string{"agent-aaaaaaaaaaaa", "agent-bbbbbbbbbbbb"}
	for _, ua := range agents {
		q := get("/device", "")
		q.Header.Set("User-Agent", ua)
		send(t, app, q)
	}
	keeper, _ := f.LoginDevice(t, "alice", paseto.Device{})
	_, sid := f.LoginDevice(t, "alice", paseto.Device{})
	q := get("/sessions/"+sid, keeper.AccessToken)
	q.Method = "DELETE"
	if resp, body := send(t, app, q); resp.StatusCode != fiber.StatusNoContent {
		t.Fatalf("DELETE /sessions/%s: status %d, body %s", sid, resp.StatusCode, body)
	}
	for range 50 { // churn the request buffers with requests of the same shape
		q := get("/device", "")
		q.Header.Set("User-Agent", strings.Repeat("x", len(agents[0])))
		send(t, app, q)
		q = get("/sessions/"+strings.Repeat("x", len(sid)), keeper.AccessToken)
		q.Method = "DELETE"
		send(t, app, q)
	}
	for i, ua := range agents {
		if kept[i].UserAgent != ua {
			t.Errorf("user agent kept from request %d is now %q, want %q", i, kept[i].UserAgent, ua)
		}
	}
	var revoked []string
	for _, ev := range f.Events() {
		if ev.Kind == paseto.EventSessionRevoked {
			revoked = append(revoked, ev.Session)
		}
	}
	if len(revoked) != 1 || revoked[0] != sid {
		t.Errorf("revoked-session events name %q, want [%s]", revoked, sid)
	}
}
