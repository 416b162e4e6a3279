package echopaseto_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pasetoauth/pasetoauth/adapters/echopaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func get(path, token string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// The middleware returns an *echo.HTTPError wrapping the cause: the app's
// HTTPErrorHandler sees it, errors.Is finds the paseto sentinel, and echo's
// default handler writes the JSON body.
func TestReturnedErrorUnwraps(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{})
	e := echo.New()
	var seen error
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		seen = err
		e.DefaultHTTPErrorHandler(err, c)
	}
	ran := false
	e.GET("/p", func(c echo.Context) error { ran = true; return nil }, m.Required())

	tok := f.Login(t, "alice").AccessToken
	f.Clock.Advance(paseto.DefaultAccessLifetime + time.Second)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", tok))

	var he *echo.HTTPError
	if !errors.As(seen, &he) || he.Code != http.StatusUnauthorized {
		t.Fatalf("HTTPErrorHandler got %v, want a 401 *echo.HTTPError", seen)
	}
	if !errors.Is(seen, paseto.ErrExpired) {
		t.Errorf("errors.Is(%v, paseto.ErrExpired) = false", seen)
	}
	var body struct{ Error, Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != "expired_token" {
		t.Errorf("body %q: %v", w.Body, err)
	}
	if ch := w.Header().Get("WWW-Authenticate"); ch != `Bearer realm="api", error="invalid_token", error_description="token has expired"` {
		t.Errorf("WWW-Authenticate = %q", ch)
	}
	if ran || w.Code != http.StatusUnauthorized {
		t.Errorf("status %d, handler ran %v", w.Code, ran)
	}
}

// Skipper returning true calls the next handler unchanged.
func TestSkipper(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{
		Skipper: func(c echo.Context) bool { return c.Path() == "/health" },
	})
	e := echo.New()
	e.Use(m.Required())
	e.GET("/health", func(c echo.Context) error {
		_, ok := echopaseto.Claims(c)
		return c.String(http.StatusOK, map[bool]string{true: "claims", false: "none"}[ok])
	})
	e.GET("/p", func(c echo.Context) error { return c.String(http.StatusOK, "ran") })

	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/health", ""))
	if w.Code != http.StatusOK || w.Body.String() != "none" {
		t.Errorf("/health: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", ""))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("/p: %d, want 401", w.Code)
	}
}

func TestGetters(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{})
	e := echo.New()
	var sub string
	var claimsOK, pairOK bool
	e.GET("/p", func(c echo.Context) error {
		sub = echopaseto.Subject(c)
		_, claimsOK = echopaseto.Claims(c)
		_, pairOK = echopaseto.TokenPair(c)
		return c.NoContent(http.StatusNoContent)
	}, m.Required())
	e.ServeHTTP(httptest.NewRecorder(), get("/p", f.Login(t, "alice").AccessToken))
	if sub != "alice" || !claimsOK || pairOK {
		t.Fatalf("Subject %q, Claims %v, TokenPair %v", sub, claimsOK, pairOK)
	}
	c := e.NewContext(get("/", ""), httptest.NewRecorder())
	if _, ok := echopaseto.Claims(c); ok || echopaseto.Subject(c) != "" {
		t.Error("claims outside the middleware")
	}
}

// The implicit refresh runs in Response.Before: a handler that returns an
// error, rendered later by the HTTPErrorHandler, never rotates.
func TestImplicitRefreshSeesFinalStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler echo.HandlerFunc
		rotate  bool
	}{
		{"200", func(c echo.Context) error { return c.String(http.StatusOK, "ok") }, true},
		{"returned error", func(c echo.Context) error { return errors.New("boom") }, false},
		{"returned HTTPError 409", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptertest.New(t, false)
			m := echopaseto.New(f.Guard, echopaseto.Config{})
			e := echo.New()
			e.GET("/p", tc.handler, m.Required())
			cookie, _ := f.CookieLogin(t, "alice")
			f.Clock.Advance(14 * time.Minute) // within the 2-minute implicit refresh window
			q := get("/p", "")
			q.Header.Set("Cookie", cookie)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, q)
			if got := len(w.Result().Cookies()) > 0; got != tc.rotate {
				t.Fatalf("status %d: rotated %v, want %v", w.Code, got, tc.rotate)
			}
		})
	}
}

// LoginWithCookies and ClearSessionCookies set and expire the session
// cookies; the cookie-borne token then follows the CSRF rule.
func TestCookieLogin(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{})
	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, cs.CSRF)
	})
	ok := func(c echo.Context) error { return c.NoContent(http.StatusOK) }
	e.GET("/p", ok, m.Required())
	e.POST("/p", ok, m.Required())
	e.POST("/logout-cookies", func(c echo.Context) error {
		m.ClearSessionCookies(c)
		return c.NoContent(http.StatusNoContent)
	})
	adaptertest.CheckCookieLogin(t, f.Guard, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Result()
	})
}

// Without a cookie configuration, LoginWithCookies fails and sets nothing.
func TestCookieLoginNeedsCookieConfig(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.NoCookieGuard(t), echopaseto.Config{})
	w := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest("POST", "/login", nil), w)
	cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
	if !errors.Is(err, paseto.ErrConfig) || cs != nil || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("got %v, %v, Set-Cookie %v; want ErrConfig and nothing set", cs, err, w.Header().Values("Set-Cookie"))
	}
}

// A hung store is answered 503 temporarily_unavailable with Retry-After within
// the store timeout, on the protected route, the refresh endpoint and the
// logout endpoint, and the handler never runs; the same tokens work once
// the store is back.
func TestStoreStall(t *testing.T) {
	const timeout = 100 * time.Millisecond
	f, s := adaptertest.NewStalling(t, timeout)
	m := echopaseto.New(f.Guard, echopaseto.Config{})
	var ran atomic.Int64
	e := echo.New()
	e.GET("/p", func(c echo.Context) error { ran.Add(1); return c.NoContent(http.StatusOK) }, m.Required())
	e.POST("/refresh", m.RefreshHandler())
	e.POST("/logout", m.LogoutHandler())
	adaptertest.CheckStoreStall(t, f, s, timeout, &ran, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Result()
	})
}

// A custom ErrorHandler that writes its own body keeps the challenge.
func TestCustomErrorHandlerKeepsChallenge(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{ErrorHandler: func(c echo.Context, _ paseto.Problem, _ error) error {
		return c.String(http.StatusTeapot, adaptertest.CustomBody)
	}})
	e := echo.New()
	e.GET("/p", func(c echo.Context) error { return nil }, m.Required())
	adaptertest.CheckChallengeKept(t, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Result()
	})
}

// The returned *echo.HTTPError's Message is the Problem's text, a string,
// so a typical HTTPErrorHandler prints it as is; echo's default handler
// still writes the small JSON body, without the cause even in Debug mode.
func TestHTTPErrorMessageIsString(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{})
	e := echo.New()
	e.Debug = true
	var seen error
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		seen = err
		e.DefaultHTTPErrorHandler(err, c)
	}
	e.GET("/p", func(c echo.Context) error { return nil }, m.Required())
	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", "v4.local.not-a-token"))

	he, ok := seen.(*echo.HTTPError)
	if !ok {
		t.Fatalf("HTTPErrorHandler got %T, want *echo.HTTPError", seen)
	}
	if msg, ok := he.Message.(string); !ok || msg != "malformed token" {
		t.Errorf("Message = %#v, want the string %q", he.Message, "malformed token")
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 2 || body["error"] != "malformed_token" || body["message"] != "malformed token" {
		t.Errorf("body %q: %v", w.Body, err)
	}
	if !errors.Is(seen, paseto.ErrMalformed) {
		t.Errorf("errors.Is(%v, paseto.ErrMalformed) = false", seen)
	}
}

// The session list endpoints: listing, revoking one, revoking the others,
// and their rejections, through echo's default HTTPErrorHandler.
func TestSessionRoutes(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echopaseto.New(f.Guard, echopaseto.Config{})
	var ran atomic.Int64
	e := echo.New()
	e.GET("/p", func(c echo.Context) error { ran.Add(1); return c.NoContent(http.StatusOK) }, m.Required())
	e.GET("/sessions", m.SessionsHandler())
	e.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
	e.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())
	adaptertest.CheckSessionRoutes(t, f, &ran, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Result()
	})
}

// Device reads the user agent and c.RealIP(); with an IPExtractor, what
// it extracts.
func TestDevice(t *testing.T) {
	for _, tc := range []struct {
		name      string
		extractor echo.IPExtractor
	}{
		{"legacy RealIP", nil}, // believes X-Forwarded-For, so it must be checked
		{"ExtractIPDirect", echo.ExtractIPDirect()},
		{"ExtractIPFromXFFHeader", echo.ExtractIPFromXFFHeader()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			e.IPExtractor = tc.extractor
			e.GET("/device", func(c echo.Context) error { return c.JSON(http.StatusOK, echopaseto.Device(c)) })
			adaptertest.CheckDevice(t, "192.0.2.1", func(req *http.Request) *http.Response {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				return w.Result()
			})
		})
	}
}
