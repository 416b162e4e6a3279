package ginpaseto_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func init() { gin.SetMode(gin.TestMode) }

func get(path, token string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// A rejection aborts the chain (later handlers never run) and records the
// cause with c.Error, where errors.Is finds the paseto sentinel.
func TestRejectionAbortsAndRecords(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.Guard, ginpaseto.Config{})
	var aborted bool
	var recorded error
	later := 0
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		aborted = c.IsAborted()
		if last := c.Errors.Last(); last != nil {
			recorded = last.Err
		}
	})
	r.GET("/p", m.Required(), func(c *gin.Context) { later++ }, func(c *gin.Context) { later++ })

	tok := f.Login(t, "alice").AccessToken
	f.Clock.Advance(paseto.DefaultAccessLifetime + 1)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, get("/p", tok))
	if w.Code != http.StatusUnauthorized || later != 0 || !aborted {
		t.Fatalf("status %d, later handlers ran %d times, aborted %v", w.Code, later, aborted)
	}
	if !errors.Is(recorded, paseto.ErrExpired) {
		t.Errorf("c.Errors holds %v, want paseto.ErrExpired", recorded)
	}
}

// A custom ErrorHandler that forgets to abort still stops the chain.
func TestCustomErrorHandlerCannotLetThrough(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.Guard, ginpaseto.Config{
		ErrorHandler: func(c *gin.Context, p paseto.Problem, err error) {
			c.String(http.StatusTeapot, paseto.Code(err))
		},
	})
	ran := false
	r := gin.New()
	r.GET("/p", m.Required(), func(c *gin.Context) { ran = true })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, get("/p", ""))
	if w.Code != http.StatusTeapot || w.Body.String() != "missing_token" || ran {
		t.Fatalf("status %d body %q, handler ran %v", w.Code, w.Body, ran)
	}
}

func TestSkipper(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.Guard, ginpaseto.Config{
		Skipper: func(c *gin.Context) bool { return c.Request.URL.Path == "/health" },
	})
	r := gin.New()
	r.Use(m.Required())
	r.GET("/health", func(c *gin.Context) {
		_, ok := ginpaseto.Claims(c)
		c.String(http.StatusOK, "claims=%v", ok)
	})
	r.GET("/p", func(c *gin.Context) { c.String(http.StatusOK, "ran") })
	for path, want := range map[string]int{"/health": 200, "/p": 401} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, get(path, ""))
		if w.Code != want {
			t.Errorf("%s: status %d, want %d", path, w.Code, want)
		}
	}
}

func TestGetters(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.Guard, ginpaseto.Config{})
	r := gin.New()
	var sub string
	var claimsOK, pairOK bool
	r.GET("/p", m.Required(), func(c *gin.Context) {
		sub = ginpaseto.Subject(c)
		_, claimsOK = ginpaseto.Claims(c)
		_, pairOK = ginpaseto.TokenPair(c)
	})
	r.ServeHTTP(httptest.NewRecorder(), get("/p", f.Login(t, "alice").AccessToken))
	if sub != "alice" || !claimsOK || pairOK {
		t.Fatalf("Subject %q, Claims %v, TokenPair %v", sub, claimsOK, pairOK)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if _, ok := ginpaseto.Claims(c); ok || ginpaseto.Subject(c) != "" {
		t.Error("claims outside the middleware")
	}
}

// gin's WriteHeader only records the status: the implicit refresh must see
// the status that is finally written, here an abort with 500.
func TestImplicitRefreshSeesFinalStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler gin.HandlerFunc
		rotate  bool
	}{
		{"string 200", func(c *gin.Context) { c.String(http.StatusOK, "ok") }, true},
		{"status changed before write", func(c *gin.Context) { c.Status(http.StatusOK); c.String(http.StatusBadGateway, "x") }, false},
		{"AbortWithStatus 500", func(c *gin.Context) { c.AbortWithStatus(http.StatusInternalServerError) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptertest.New(t, false)
			m := ginpaseto.New(f.Guard, ginpaseto.Config{})
			r := gin.New()
			r.GET("/p", m.Required(), tc.handler)
			cookie, _ := f.CookieLogin(t, "alice")
			f.Clock.Advance(14 * time.Minute) // within the 2-minute implicit refresh window
			q := get("/p", "")
			q.Header.Set("Cookie", cookie)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, q)
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
	m := ginpaseto.New(f.Guard, ginpaseto.Config{})
	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		cs, err := m.LoginWithCookies(c, "alice", paseto.LoginOptions{})
		if err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.String(http.StatusOK, cs.CSRF)
	})
	ok := func(c *gin.Context) { c.Status(http.StatusOK) }
	r.GET("/p", m.Required(), ok)
	r.POST("/p", m.Required(), ok)
	r.POST("/logout-cookies", func(c *gin.Context) {
		m.ClearSessionCookies(c)
		c.Status(http.StatusNoContent)
	})
	adaptertest.CheckCookieLogin(t, f.Guard, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Result()
	})
}

// Without a cookie configuration, LoginWithCookies fails and sets nothing.
func TestCookieLoginNeedsCookieConfig(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.NoCookieGuard(t), ginpaseto.Config{})
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("POST", "/login", nil)
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
	m := ginpaseto.New(f.Guard, ginpaseto.Config{})
	var ran atomic.Int64
	r := gin.New()
	r.GET("/p", m.Required(), func(c *gin.Context) { ran.Add(1); c.Status(http.StatusOK) })
	r.POST("/refresh", m.RefreshHandler())
	r.POST("/logout", m.LogoutHandler())
	adaptertest.CheckStoreStall(t, f, s, timeout, &ran, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Result()
	})
}

// A custom ErrorHandler that writes its own body keeps the challenge.
func TestCustomErrorHandlerKeepsChallenge(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.Guard, ginpaseto.Config{ErrorHandler: func(c *gin.Context, _ paseto.Problem, _ error) {
		c.String(http.StatusTeapot, adaptertest.CustomBody)
	}})
	r := gin.New()
	r.GET("/p", m.Required(), func(c *gin.Context) {})
	adaptertest.CheckChallengeKept(t, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Result()
	})
}

// The session list endpoints: listing, revoking one, revoking the others,
// and their rejections.
func TestSessionRoutes(t *testing.T) {
	f := adaptertest.New(t, false)
	m := ginpaseto.New(f.Guard, ginpaseto.Config{})
	var ran atomic.Int64
	r := gin.New()
	r.GET("/p", m.Required(), func(c *gin.Context) { ran.Add(1); c.Status(http.StatusOK) })
	r.GET("/sessions", m.SessionsHandler())
	r.DELETE("/sessions/:id", m.RevokeSessionHandler("id"))
	r.POST("/sessions/revoke-others", m.RevokeOtherSessionsHandler())
	adaptertest.CheckSessionRoutes(t, f, &ran, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Result()
	})
}

// Device reads the user agent and c.ClientIP().
func TestDevice(t *testing.T) {
	r := gin.New()
	r.GET("/device", func(c *gin.Context) { c.JSON(http.StatusOK, ginpaseto.Device(c)) })
	adaptertest.CheckDevice(t, "192.0.2.1", func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Result()
	})
}
