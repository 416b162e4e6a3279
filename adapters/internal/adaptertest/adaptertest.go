// Package adaptertest holds the fixtures the adapters' tests and benchmarks
// share: a Guard over fresh keys, a memory store and a settable clock.
package adaptertest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// Epoch is the fixtures' starting time.
var Epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Clock is the repository's fake clock: tests advance it instead of
// sleeping.
type Clock = fakeclock.Clock

// Fixture is a ready Guard and what it is built from.
type Fixture struct {
	Auth  *paseto.Auth
	Guard *paseto.Guard
	Clock *Clock

	events *eventLog
}

// eventLog records the Auth's security events.
type eventLog struct {
	mu  sync.Mutex
	all []paseto.SecurityEvent
}

func (l *eventLog) add(_ context.Context, ev paseto.SecurityEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, ev)
}

// Events returns the security events the Auth has emitted so far, oldest
// first.
func (f *Fixture) Events() []paseto.SecurityEvent {
	f.events.mu.Lock()
	defer f.events.mu.Unlock()
	return slices.Clone(f.events.all)
}

// New returns a Fixture: v4.public access tokens when public is set,
// v4.local otherwise; the default memory store; cookies (CSRF header
// X-CSRF-Token) with implicit refresh two minutes before expiry and a ten
// second grace period; realm "api"; security events recorded (Events).
func New(tb testing.TB, public bool) *Fixture {
	tb.Helper()
	return newFixture(tb, public, func(*Clock) paseto.Store { return nil }, 0)
}

// NewStalling returns a Fixture as New does, over a pasetotest.FaultyStore
// and with Config.StoreTimeout timeout, for checking what a hung store
// looks like from outside (CheckStoreStall): s.Set(pasetotest.Hang) makes
// every call wait for its deadline.
func NewStalling(tb testing.TB, timeout time.Duration) (*Fixture, *pasetotest.FaultyStore) {
	tb.Helper()
	var s *pasetotest.FaultyStore
	f := newFixture(tb, false, func(c *Clock) paseto.Store {
		s = pasetotest.NewFaultyStore(paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: c.Now}))
		return s
	}, timeout)
	return f, s
}

func newFixture(tb testing.TB, public bool, store func(*Clock) paseto.Store, timeout time.Duration) *Fixture {
	tb.Helper()
	clock := fakeclock.New(Epoch)
	var access *paseto.KeyRing
	var err error
	if public {
		access, err = paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	} else {
		access, err = paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	}
	if err != nil {
		tb.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		tb.Fatal(err)
	}
	events := &eventLog{}
	auth, err := paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Store: store(clock),
		GracePeriod:     10 * time.Second, // implicit refresh needs one
		StoreTimeout:    timeout,
		OnSecurityEvent: events.add,
		Clock:           clock.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{
		Cookies:         &paseto.CookieConfig{},
		ImplicitRefresh: 2 * time.Minute,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &Fixture{Auth: auth, Guard: guard, Clock: clock, events: events}
}

// Login starts a session for sub and returns its pair.
func (f *Fixture) Login(tb testing.TB, sub string) *paseto.TokenPair {
	tb.Helper()
	p, err := f.Auth.Login(context.Background(), sub, paseto.LoginOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// CookieLogin starts a cookie session for sub and returns the Cookie
// request header carrying its access, refresh and CSRF cookies, and the
// CSRF value for the X-CSRF-Token header.
func (f *Fixture) CookieLogin(tb testing.TB, sub string) (cookie, csrf string) {
	tb.Helper()
	sink := Header{}
	cs, err := f.Guard.LoginWithCookies(context.Background(), sink, sub, paseto.LoginOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	c := f.Guard.Config().Cookies
	return strings.Join([]string{
		c.AccessName + "=" + cs.Pair.AccessToken,
		c.RefreshName + "=" + cs.Pair.RefreshToken,
		c.CSRFName + "=" + cs.CSRF,
	}, "; "), cs.CSRF
}

// Header collects response headers: a paseto.Response for calls made
// outside a request.
type Header http.Header

// AddHeader implements paseto.Response.
func (h Header) AddHeader(name, value string) { http.Header(h).Add(name, value) }

// Do sends one request to an app and returns its response.
type Do func(*http.Request) *http.Response

// CheckCookieLogin drives an app built by an adapter test: POST /login must
// call the adapter's LoginWithCookies for "alice" and answer 200 with the
// CSRF value as its body; GET and POST /p must be Required routes answering
// 200; POST /logout-cookies must call ClearSessionCookies and answer 204.
// It checks the cookies set, that a cookie-borne token works on a safe
// method, is refused (403, invalid_csrf_token) on an unsafe one without the CSRF
// header, passes with it, and that clearing expires every session cookie.
func CheckCookieLogin(t *testing.T, g *paseto.Guard, do Do) {
	t.Helper()
	cfg := g.Config().Cookies
	resp := do(httptestRequest("POST", "/login", ""))
	csrf := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || csrf == "" {
		t.Fatalf("login: status %d, body %q", resp.StatusCode, csrf)
	}
	set := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		set[c.Name] = c
	}
	for _, name := range []string{cfg.AccessName, cfg.RefreshName, cfg.CSRFName} {
		if set[name] == nil || set[name].Value == "" {
			t.Fatalf("login set cookies %v, missing %s", resp.Header.Values("Set-Cookie"), name)
		}
	}
	if !set[cfg.AccessName].HttpOnly || !set[cfg.RefreshName].HttpOnly || set[cfg.CSRFName].HttpOnly {
		t.Errorf("HttpOnly on access/refresh only: %v", resp.Header.Values("Set-Cookie"))
	}
	if set[cfg.CSRFName].Value != csrf {
		t.Errorf("CSRF cookie %q, returned value %q", set[cfg.CSRFName].Value, csrf)
	}
	cookie := cfg.AccessName + "=" + set[cfg.AccessName].Value + "; " + cfg.CSRFName + "=" + csrf

	for _, tc := range []struct {
		method, csrf string
		status       int
	}{
		{"GET", "", http.StatusOK},
		{"POST", "", http.StatusForbidden},
		{"POST", "wrong", http.StatusForbidden},
		{"POST", csrf, http.StatusOK},
	} {
		r := httptestRequest(tc.method, "/p", cookie)
		if tc.csrf != "" {
			r.Header.Set(cfg.CSRFHeader, tc.csrf)
		}
		resp := do(r)
		body := readAll(t, resp)
		if resp.StatusCode != tc.status {
			t.Errorf("%s /p with CSRF header %q: status %d, want %d (%s)", tc.method, tc.csrf, resp.StatusCode, tc.status, body)
		}
		if tc.status == http.StatusForbidden && !strings.Contains(body, `"invalid_csrf_token"`) {
			t.Errorf("%s /p: body %s, want code invalid_csrf_token", tc.method, body)
		}
	}

	resp = do(httptestRequest("POST", "/logout-cookies", ""))
	readAll(t, resp)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("clear: status %d", resp.StatusCode)
	}
	cleared := map[string]bool{}
	for _, c := range resp.Cookies() {
		cleared[c.Name] = c.MaxAge < 0 && c.Value == ""
	}
	for _, name := range []string{cfg.AccessName, cfg.RefreshName, cfg.CSRFName} {
		if !cleared[name] {
			t.Errorf("ClearSessionCookies did not expire %s: %v", name, resp.Header.Values("Set-Cookie"))
		}
	}
}

// NoCookieGuard returns a Guard over f's Auth without cookie support, for
// checking that LoginWithCookies refuses to run.
func (f *Fixture) NoCookieGuard(tb testing.TB) *paseto.Guard {
	tb.Helper()
	g, err := paseto.NewGuard(f.Auth, paseto.GuardConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func httptestRequest(method, path, cookie string) *http.Request {
	r, err := http.NewRequest(method, "http://example.test"+path, nil)
	if err != nil {
		panic(err)
	}
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	return r
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// CustomBody is what the ErrorHandler under CheckChallengeKept writes.
const CustomBody = "custom"

// CheckChallengeKept drives an app whose GET /p is a Required route and
// whose ErrorHandler writes only CustomBody with status 418, ignoring the
// Problem: the adapter must have set the challenge before the handler ran,
// so a custom handler cannot lose it.
func CheckChallengeKept(t *testing.T, do Do) {
	t.Helper()
	resp := do(httptestRequest("GET", "/p", ""))
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusTeapot || body != CustomBody {
		t.Fatalf("status %d, body %q: the custom handler did not answer", resp.StatusCode, body)
	}
	if ch := resp.Header.Get("WWW-Authenticate"); ch != `Bearer realm="api"` {
		t.Errorf("WWW-Authenticate = %q, want the challenge kept", ch)
	}
}

// GetOversizeToken sends GET url with a bearer token larger than a
// fasthttp server's default read buffer and returns the answer. fasthttp
// answers 431 and closes as soon as its buffer is full, so the client may
// still be writing the rest of the header and see a reset instead of the
// answer (more often under -race): a reset is retried, four times at most;
// any other error fails the test.
func GetOversizeToken(t *testing.T, url string) *http.Response {
	t.Helper()
	for attempt := 0; ; attempt++ {
		q, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		q.Header.Set("Authorization", "Bearer v4.local."+strings.Repeat("A", 9<<10))
		resp, err := http.DefaultClient.Do(q)
		if err == nil {
			resp.Body.Close()
			return resp
		}
		if attempt == 4 || !strings.Contains(err.Error(), "reset by peer") {
			t.Fatal(err)
		}
	}
}
