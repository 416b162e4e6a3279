package httppaseto_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
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

// Handlers read the claims from the request context with FromContext.
func TestFromContext(t *testing.T) {
	f := adaptertest.New(t, false)
	m := httppaseto.New(f.Guard, httppaseto.Config{})
	var claims *paseto.Claims
	var sub string
	var pairOK bool
	h := m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ = httppaseto.FromContext(r.Context())
		sub = httppaseto.Subject(r.Context())
		_, pairOK = httppaseto.TokenPair(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), get("/", f.Login(t, "alice").AccessToken))
	if claims == nil || claims.Subject != "alice" || sub != "alice" || pairOK {
		t.Fatalf("FromContext %v, Subject %q, TokenPair %v", claims, sub, pairOK)
	}
	if _, ok := httppaseto.FromContext(context.Background()); ok || httppaseto.Subject(context.Background()) != "" {
		t.Error("claims in a bare context")
	}
}

// RefreshRequired hands the rotated pair and the new claims to the next
// handler, and the body it read is still there.
func TestRefreshRequired(t *testing.T) {
	f := adaptertest.New(t, false)
	m := httppaseto.New(f.Guard, httppaseto.Config{})
	var pair *paseto.TokenPair
	var sub, body string
	h := m.RefreshRequired()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pair, _ = httppaseto.TokenPair(r.Context())
		sub = httppaseto.Subject(r.Context())
		b, _ := io.ReadAll(r.Body)
		body = string(b)
	}))
	rt := f.Login(t, "alice").RefreshToken
	sent := `{"refresh_token":"` + rt + `","device":"phone"}`
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/refresh", strings.NewReader(sent)))
	if pair == nil || pair.RefreshToken == rt || sub != "alice" || body != sent {
		t.Fatalf("pair %v, subject %q, body %q", pair, sub, body)
	}
}

// A custom ErrorHandler renders; the protected handler never runs.
func TestErrorHandler(t *testing.T) {
	f := adaptertest.New(t, false)
	var seen error
	m := httppaseto.New(f.Guard, httppaseto.Config{
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, p paseto.Problem, err error) {
			seen = err
			http.Error(w, p.Body.Error, p.Status)
		},
	})
	ran := false
	h := m.Required()(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
	tok := f.Login(t, "alice").AccessToken
	f.Clock.Advance(paseto.DefaultAccessLifetime + time.Second)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, get("/", tok))
	if w.Code != 401 || w.Body.String() != "expired_token\n" || ran || !errors.Is(seen, paseto.ErrExpired) {
		t.Fatalf("status %d body %q, ran %v, cause %v", w.Code, w.Body, ran, seen)
	}
}

// The implicit refresh runs when the status is written, with that status.
func TestImplicitRefreshSeesFinalStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		rotate  bool
	}{
		{"Write", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }, true},
		{"WriteHeader 201", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }, true},
		{"103 then 500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(103); w.WriteHeader(500) }, false},
		{"http.Error 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, false},
		{"Flush", func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() }, true},
		{"ResponseController Flush", func(w http.ResponseWriter, r *http.Request) { _ = http.NewResponseController(w).Flush() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := adaptertest.New(t, false)
			h := httppaseto.New(f.Guard, httppaseto.Config{}).Required()(tc.handler)
			cookie, _ := f.CookieLogin(t, "alice")
			f.Clock.Advance(14 * time.Minute) // within the 2-minute implicit refresh window
			q := get("/", "")
			q.Header.Set("Cookie", cookie)
			srv := httptest.NewServer(h) // a real server: 1xx and Flush behave as in production
			defer srv.Close()
			q.URL, _ = q.URL.Parse(srv.URL)
			q.RequestURI = ""
			resp, err := srv.Client().Do(q)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
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
	m := httppaseto.New(f.Guard, httppaseto.Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		cs, err := m.LoginWithCookies(w, r, "alice", paseto.LoginOptions{})
		if err != nil {
			http.Error(w, "login failed", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, cs.CSRF)
	})
	ok := m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	mux.Handle("/p", ok)
	mux.HandleFunc("POST /logout-cookies", func(w http.ResponseWriter, r *http.Request) {
		m.ClearSessionCookies(w)
		w.WriteHeader(http.StatusNoContent)
	})
	adaptertest.CheckCookieLogin(t, f.Guard, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w.Result()
	})
}

// Without a cookie configuration, LoginWithCookies fails and sets nothing.
func TestCookieLoginNeedsCookieConfig(t *testing.T) {
	f := adaptertest.New(t, false)
	m := httppaseto.New(f.NoCookieGuard(t), httppaseto.Config{})
	w := httptest.NewRecorder()
	cs, err := m.LoginWithCookies(w, httptest.NewRequest("POST", "/login", nil), "alice", paseto.LoginOptions{})
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
	m := httppaseto.New(f.Guard, httppaseto.Config{})
	var ran atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("GET /p", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1) })))
	mux.Handle("POST /refresh", m.RefreshHandler())
	mux.Handle("POST /logout", m.LogoutHandler())
	adaptertest.CheckStoreStall(t, f, s, timeout, &ran, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w.Result()
	})
}

// A custom ErrorHandler that writes its own body keeps the challenge.
func TestCustomErrorHandlerKeepsChallenge(t *testing.T) {
	f := adaptertest.New(t, false)
	m := httppaseto.New(f.Guard, httppaseto.Config{ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ paseto.Problem, _ error) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, adaptertest.CustomBody)
	}})
	h := m.Required()(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	adaptertest.CheckChallengeKept(t, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result()
	})
}

// Skipper returning true calls the next handler unchanged; Claims and its
// alias FromContext read the same value.
func TestSkipper(t *testing.T) {
	f := adaptertest.New(t, false)
	m := httppaseto.New(f.Guard, httppaseto.Config{
		Skipper: func(r *http.Request) bool { return r.URL.Path == "/health" },
	})
	var claimed, aliased bool
	h := m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, claimed = httppaseto.Claims(r.Context())
		_, aliased = httppaseto.FromContext(r.Context())
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, get("/health", ""))
	if w.Code != http.StatusOK || claimed || aliased {
		t.Errorf("/health: %d, claims %v %v", w.Code, claimed, aliased)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, get("/p", ""))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("/p: %d, want 401", w.Code)
	}
	h.ServeHTTP(httptest.NewRecorder(), get("/p", f.Login(t, "alice").AccessToken))
	if !claimed || !aliased {
		t.Errorf("claims %v, FromContext %v after a valid token", claimed, aliased)
	}
}

// The session list endpoints: listing, revoking one (the ID read with
// r.PathValue), revoking the others, and their rejections.
func TestSessionRoutes(t *testing.T) {
	f := adaptertest.New(t, false)
	m := httppaseto.New(f.Guard, httppaseto.Config{})
	var ran atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("GET /p", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1) })))
	mux.Handle("GET /sessions", m.SessionsHandler())
	mux.Handle("DELETE /sessions/{id}", m.RevokeSessionHandler("id"))
	mux.Handle("POST /sessions/revoke-others", m.RevokeOtherSessionsHandler())
	adaptertest.CheckSessionRoutes(t, f, &ran, func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w.Result()
	})
}

// Device reads the user agent and the host of r.RemoteAddr, never a
// proxy header.
func TestDevice(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(httppaseto.Device(r))
	})
	adaptertest.CheckDevice(t, "192.0.2.1", func(req *http.Request) *http.Response {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result()
	})
	for addr, want := range map[string]string{
		"[2001:db8::1]:443":  "2001:db8::1",
		"[fe80::1%eth0]:443": "fe80::1", // the zone is dropped: Auth would refuse it
		"192.0.2.9":          "192.0.2.9",
		"@":                  "", // a Unix socket's peer
		"":                   "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := httppaseto.Device(r).IP; got != want {
			t.Errorf("RemoteAddr %q: IP %q, want %q", addr, got, want)
		}
	}
}
