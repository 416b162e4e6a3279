package echov5paseto_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
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

const realm = `Bearer realm="api"`

func invalid(desc string) string {
	return realm + `, error="invalid_token", error_description="` + desc + `"`
}

// Rejections seen from the outside, through echo's default
// HTTPErrorHandler: status, challenge, body code, and the handler did not
// run; the error the HTTPErrorHandler got finds the paseto sentinel.
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
			m := echov5paseto.New(f.Guard, echov5paseto.Config{})
			e := echo.New()
			var seen error
			e.HTTPErrorHandler = func(c *echo.Context, err error) {
				seen = err
				echo.DefaultHTTPErrorHandler(false)(c, err)
			}
			ran := false
			h := func(c *echo.Context) error { ran = true; return c.NoContent(http.StatusOK) }
			e.GET("/p", h, m.Required())
			e.POST("/p", h, m.Required())
			e.GET("/fresh", h, m.FreshRequired())

			w := httptest.NewRecorder()
			e.ServeHTTP(w, tc.req(f))
			if w.Code != tc.status || ran {
				t.Fatalf("status %d, handler ran %v; want %d, not run", w.Code, ran, tc.status)
			}
			if got := w.Header().Values("WWW-Authenticate"); tc.challenge == "" && len(got) > 0 ||
				tc.challenge != "" && (len(got) != 1 || got[0] != tc.challenge) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			var body struct{ Error, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != tc.code {
				t.Errorf("body %q (%v), want error %q", w.Body, err, tc.code)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if !errors.Is(seen, tc.sentinel) || echo.StatusCode(seen) != tc.status {
				t.Errorf("HTTPErrorHandler got %v (status %d), want %v", seen, echo.StatusCode(seen), tc.sentinel)
			}
		})
	}
}

// The middleware returns an error that unwraps to an *echo.HTTPError with
// the Problem's status and message, wrapping the cause.
func TestReturnedErrorUnwraps(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echov5paseto.New(f.Guard, echov5paseto.Config{})
	e := echo.New()
	var seen error
	e.HTTPErrorHandler = func(c *echo.Context, err error) { seen = err }
	e.GET("/p", func(c *echo.Context) error { return nil }, m.Required())

	tok := f.Login(t, "alice").AccessToken
	f.Clock.Advance(paseto.DefaultAccessLifetime + time.Second)
	e.ServeHTTP(httptest.NewRecorder(), get("/p", tok))

	var he *echo.HTTPError
	if !errors.As(seen, &he) || he.Code != http.StatusUnauthorized || he.Message != "token has expired" {
		t.Fatalf("HTTPErrorHandler got %v, want a 401 *echo.HTTPError", seen)
	}
	if !errors.Is(he, paseto.ErrExpired) {
		t.Errorf("the *echo.HTTPError does not wrap paseto.ErrExpired: %v", he)
	}
	var pe *echov5paseto.Error
	if !errors.As(seen, &pe) || pe.Problem.Body.Error != "expired_token" {
		t.Errorf("errors.As(*echov5paseto.Error) on %v", seen)
	}
}

// echo's default handler with exposeError writes the cause's text for
// plain errors; the rejection body stays the small JSON body.
func TestExposeErrorKeepsTheBody(t *testing.T) {
	f := adaptertest.New(t, false)
	e := echo.New()
	e.HTTPErrorHandler = echo.DefaultHTTPErrorHandler(true)
	e.GET("/p", func(c *echo.Context) error { return nil }, echov5paseto.New(f.Guard, echov5paseto.Config{}).Required())
	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", "v4.local.not-a-token"))
	if w.Code != 401 || strings.TrimSpace(w.Body.String()) != `{"error":"malformed_token","message":"malformed token"}` {
		t.Fatalf("status %d body %q", w.Code, w.Body)
	}
}

// With echo's RFC 9457 handler the message becomes the problem's detail.
func TestProblemDetailsHandler(t *testing.T) {
	f := adaptertest.New(t, false)
	e := echo.New()
	e.HTTPErrorHandler = echo.ProblemDetailsHTTPErrorHandler(false)
	ran := false
	e.GET("/p", func(c *echo.Context) error { ran = true; return nil }, echov5paseto.New(f.Guard, echov5paseto.Config{}).Required())
	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", ""))
	var pd echo.ProblemError
	if err := json.Unmarshal(w.Body.Bytes(), &pd); err != nil || pd.Status != 401 || pd.Detail != "no token" {
		t.Errorf("body %q: %v", w.Body, err)
	}
	if w.Code != 401 || ran || w.Header().Get("WWW-Authenticate") != realm ||
		w.Header().Get("Content-Type") != echo.MIMEApplicationProblemJSON {
		t.Errorf("status %d, handler ran %v, headers %v", w.Code, ran, w.Header())
	}
}

// A custom ErrorHandler that writes the answer itself and returns nil
// still stops the chain.
func TestCustomErrorHandlerCannotLetThrough(t *testing.T) {
	f := adaptertest.New(t, false)
	var seen error
	m := echov5paseto.New(f.Guard, echov5paseto.Config{
		ErrorHandler: func(c *echo.Context, p paseto.Problem, err error) error {
			seen = err
			return c.String(http.StatusTeapot, paseto.Code(err))
		},
	})
	e := echo.New()
	ran := false
	e.GET("/p", func(c *echo.Context) error { ran = true; return nil }, m.Required())
	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", ""))
	if w.Code != http.StatusTeapot || w.Body.String() != "missing_token" || ran || !errors.Is(seen, paseto.ErrMissingToken) {
		t.Fatalf("status %d body %q, handler ran %v, cause %v", w.Code, w.Body, ran, seen)
	}
}

// Skipper returning true calls the next handler unchanged.
func TestSkipper(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echov5paseto.New(f.Guard, echov5paseto.Config{
		Skipper: func(c *echo.Context) bool { return c.Path() == "/health" },
	})
	e := echo.New()
	e.Use(m.Required())
	e.GET("/health", func(c *echo.Context) error {
		_, ok := echov5paseto.Claims(c)
		return c.String(http.StatusOK, map[bool]string{true: "claims", false: "none"}[ok])
	})
	e.GET("/p", func(c *echo.Context) error { return c.String(http.StatusOK, "ran") })

	w := httptest.NewRecorder()
	e.ServeHTTP(w, get("/health", ""))
	if w.Code != http.StatusOK || w.Body.String() != "none" {
		t.Errorf("/health: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	e.ServeHTTP(w, get("/p", ""))
	if w.Code != http.StatusUnauthorized || w.Body.String() == "ran" {
		t.Errorf("/p: %d %q, want 401", w.Code, w.Body)
	}
}

func TestGetters(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echov5paseto.New(f.Guard, echov5paseto.Config{})
	e := echo.New()
	var sub string
	var claimsOK, pairOK bool
	e.GET("/p", func(c *echo.Context) error {
		sub = echov5paseto.Subject(c)
		_, claimsOK = echov5paseto.Claims(c)
		_, pairOK = echov5paseto.TokenPair(c)
		return c.NoContent(http.StatusNoContent)
	}, m.Required())
	e.POST("/refresh", func(c *echo.Context) error {
		_, pairOK = echov5paseto.TokenPair(c)
		return c.NoContent(http.StatusNoContent)
	}, m.RefreshRequired())

	e.ServeHTTP(httptest.NewRecorder(), get("/p", f.Login(t, "alice").AccessToken))
	if sub != "alice" || !claimsOK || pairOK {
		t.Fatalf("Subject %q, Claims %v, TokenPair %v", sub, claimsOK, pairOK)
	}
	q := httptest.NewRequest("POST", "/refresh", nil)
	q.Header.Set("Authorization", "Bearer "+f.Login(t, "alice").RefreshToken)
	e.ServeHTTP(httptest.NewRecorder(), q)
	if !pairOK {
		t.Error("TokenPair after RefreshRequired: none")
	}
	c := echo.NewContext(get("/", ""), httptest.NewRecorder())
	if _, ok := echov5paseto.Claims(c); ok || echov5paseto.Subject(c) != "" {
		t.Error("claims outside the middleware")
	}
}

// The implicit refresh runs in a Before hook of the *echo.Response: a
// handler that returns an error, rendered later by the HTTPErrorHandler,
// never rotates; a HEAD answered by the GET route (AutoHandleHEAD, whose
// writer wraps echo's Response) rotates like the GET.
func TestImplicitRefreshSeesFinalStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		handler echo.HandlerFunc
		rotate  bool
	}{
		{"200", "GET", func(c *echo.Context) error { return c.String(http.StatusOK, "ok") }, true},
		{"HEAD via GET route", "HEAD", func(c *echo.Context) error { return c.String(http.StatusOK, "ok") }, true},
		{"status 502", "GET", func(c *echo.Context) error { return c.String(http.StatusBadGateway, "x") }, false},
		{"returned error", "GET", func(c *echo.Context) error { return errors.New("boom") }, false},
		{"returned HTTPError 409", "GET", func(c *echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptertest.New(t, false)
			m := echov5paseto.New(f.Guard, echov5paseto.Config{})
			e := echo.NewWithConfig(echo.Config{Router: echo.NewRouter(echo.RouterConfig{AutoHandleHEAD: true})})
			e.GET("/p", tc.handler, m.Required())
			cookie, _ := f.CookieLogin(t, "alice")
			f.Clock.Advance(14 * time.Minute) // within the 2-minute implicit refresh window
			q := httptest.NewRequest(tc.method, "/p", nil)
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
	m := echov5paseto.New(f.Guard, echov5paseto.Config{})
	e := echo.New()
	e.POST("/login", func(c *echo.Context) error {
		cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, cs.CSRF)
	})
	ok := func(c *echo.Context) error { return c.NoContent(http.StatusOK) }
	e.GET("/p", ok, m.Required())
	e.POST("/p", ok, m.Required())
	e.POST("/logout-cookies", func(c *echo.Context) error {
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
	m := echov5paseto.New(f.NoCookieGuard(t), echov5paseto.Config{})
	w := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest("POST", "/login", nil), w)
	cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
	if !errors.Is(err, paseto.ErrConfig) || cs != nil || len(w.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("got %v, %v, Set-Cookie %v; want ErrConfig and nothing set", cs, err, w.Header().Values("Set-Cookie"))
	}
}

// opaqueWriter hides echo's Response: it has no Unwrap method.
type opaqueWriter struct{ http.ResponseWriter }

// Behind a writer that does not unwrap to echo's Response, the implicit
// refresh does not happen and the request still succeeds.
func TestImplicitRefreshBehindOpaqueWriter(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echov5paseto.New(f.Guard, echov5paseto.Config{})
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.SetResponse(opaqueWriter{c.Response()})
			return next(c)
		}
	})
	e.GET("/p", func(c *echo.Context) error { return c.String(http.StatusOK, echov5paseto.Subject(c)) }, m.Required())
	cookie, _ := f.CookieLogin(t, "alice")
	f.Clock.Advance(14 * time.Minute)
	q := get("/p", "")
	q.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, q)
	if w.Code != http.StatusOK || w.Body.String() != "alice" || len(w.Result().Cookies()) != 0 {
		t.Fatalf("status %d body %q, Set-Cookie %v", w.Code, w.Body, w.Header().Values("Set-Cookie"))
	}
}

// An *Error built by hand, without a cause, is still a usable error.
func TestErrorWithoutCause(t *testing.T) {
	e := &echov5paseto.Error{Problem: paseto.Problem{Status: 401, Body: paseto.ErrorBody{Error: "x", Message: "y"}}}
	if e.Error() != "code=401, message=y" || e.Unwrap() != nil || echo.StatusCode(e) != 401 {
		t.Fatalf("Error %q, Unwrap %v, StatusCode %d", e.Error(), e.Unwrap(), echo.StatusCode(e))
	}
}

// A hung store is answered 503 temporarily_unavailable with Retry-After within
// the store timeout, on the protected route, the refresh endpoint and the
// logout endpoint, and the handler never runs; the same tokens work once
// the store is back.
func TestStoreStall(t *testing.T) {
	const timeout = 100 * time.Millisecond
	f, s := adaptertest.NewStalling(t, timeout)
	m := echov5paseto.New(f.Guard, echov5paseto.Config{})
	var ran atomic.Int64
	e := echo.New()
	e.GET("/p", func(c *echo.Context) error { ran.Add(1); return c.NoContent(http.StatusOK) }, m.Required())
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
	m := echov5paseto.New(f.Guard, echov5paseto.Config{ErrorHandler: func(c *echo.Context, _ paseto.Problem, _ error) error {
		return c.String(http.StatusTeapot, adaptertest.CustomBody)
	}})
	e := echo.New()
	e.GET("/p", func(c *echo.Context) error { return nil }, m.Required())
	adaptertest.CheckChallengeKept(t, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Result()
	})
}

// The session list endpoints: listing, revoking one, revoking the others,
// and their rejections, through echo's default HTTPErrorHandler.
func TestSessionRoutes(t *testing.T) {
	f := adaptertest.New(t, false)
	m := echov5paseto.New(f.Guard, echov5paseto.Config{})
	var ran atomic.Int64
	e := echo.New()
	e.GET("/p", func(c *echo.Context) error { ran.Add(1); return c.NoContent(http.StatusOK) }, m.Required())
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
		{"RealIP", nil},
		{"ExtractIPFromXFFHeader", echo.ExtractIPFromXFFHeader()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			e.IPExtractor = tc.extractor
			e.GET("/device", func(c *echo.Context) error { return c.JSON(http.StatusOK, echov5paseto.Device(c)) })
			adaptertest.CheckDevice(t, "192.0.2.1", func(req *http.Request) *http.Response {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				return w.Result()
			})
		})
	}
}
