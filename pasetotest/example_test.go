package pasetotest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// t stands in, in the examples, for the *testing.T of the test that uses
// the kit: the examples read as test code and still run.
var t testing.TB = exampleTB{}

// exampleTB is the testing.TB of the examples: Fatalf panics.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                        {}
func (exampleTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// app is the application under test in the examples: its routes, built on
// the Guard its main builds (here, the kit's).
func app(guard *paseto.Guard) http.Handler {
	m := httppaseto.New(guard, httppaseto.Config{})
	mux := http.NewServeMux()
	mux.Handle("GET /me", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, httppaseto.Subject(r.Context()))
	})))
	mux.Handle("POST /notes", m.Required(paseto.WithScopes("notes:write"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	mux.Handle("DELETE /account", m.FreshRequired(paseto.WithMaxAge(5*time.Minute))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("POST /auth/refresh", m.RefreshHandler())
	mux.Handle("POST /auth/logout", m.LogoutHandler())
	return mux
}

// serve sends r to h and returns the response.
func serve(h http.Handler, r *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Result()
}

// A test of an app's routes: a kit, the app built on its Guard, a token
// per case.
func Example() {
	kit := pasetotest.New(t, pasetotest.Config{})
	h := app(kit.Guard)

	tok := kit.AccessToken(t, "alice")
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tok)).StatusCode)

	// Expired and not-yet-valid tokens only when the test asks.
	expired := kit.AccessToken(t, "alice", pasetotest.Expired())
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), expired)).StatusCode)

	// Fifteen minutes later, the first token has expired too.
	kit.Clock.Advance(15*time.Minute + time.Second)
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tok)).StatusCode)
	// Output:
	// 200
	// 401
	// 401
}

// A Config adjusts the Auth and the Guard as the application's main does;
// Seed makes the keys the same in every run.
func ExampleNew() {
	kit := pasetotest.New(t, pasetotest.Config{
		Seed: "my-app tests",
		Auth: func(c *paseto.Config) {
			c.AccessLifetime = 5 * time.Minute
			c.Issuer = "https://auth.example.test"
		},
		Guard: func(g *paseto.GuardConfig) { g.Realm = "my-app" },
	})
	c, err := kit.Auth.VerifyAccess(context.Background(), kit.AccessToken(t, "alice"))
	fmt.Println(c.Subject, c.Issuer, c.Expiration.Sub(c.IssuedAt), err)
	fmt.Println(kit.Guard.Config().Realm)
	// Output:
	// alice https://auth.example.test 5m0s <nil>
	// my-app
}

// A store with a clock of its own reads the kit's.
func ExampleNewClock() {
	clock := pasetotest.NewClock(time.Date(2031, 6, 1, 9, 0, 0, 0, time.UTC))
	store := paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: clock.Now})
	kit := pasetotest.New(t, pasetotest.Config{Clock: clock, Store: store})
	kit.Clock.Advance(time.Hour)
	fmt.Println(kit.Clock.Now(), kit.Store.Unwrap() == store)
	// Output:
	// 2031-06-01 10:00:00 +0000 UTC true
}

// Every token the kit mints without being asked for a bad one is
// accepted by the Auth's verifier, and so by the Guard.
func ExampleKit_AccessToken() {
	kit := pasetotest.New(t, pasetotest.Config{})
	ctx := context.Background()
	now := kit.Clock.Now()
	for _, opts := range [][]pasetotest.TokenOption{
		nil,
		{pasetotest.Scopes("notes:read", "notes:write"), pasetotest.Claim("role", "editor")},
		{pasetotest.NotFresh(), pasetotest.AuthTime(now.Add(-time.Hour))},
		{pasetotest.IssuedAt(now.Add(-10 * time.Minute)), pasetotest.Lifetime(time.Hour)},
		{pasetotest.Expired()},
		{pasetotest.NotYetValid()},
	} {
		c, err := kit.Auth.VerifyAccess(ctx, kit.AccessToken(t, "alice", opts...))
		if err != nil {
			fmt.Println(paseto.Code(err), errors.Is(err, paseto.ErrExpired), errors.Is(err, paseto.ErrNotYetValid))
			continue
		}
		role, _ := paseto.Claim[string](c, "role")
		fmt.Printf("%s %v %q %v %v %v\n", c.Subject, c.Scopes, role, c.Fresh, now.Sub(c.AuthTime), c.Expiration.Sub(now))
	}
	// Output:
	// alice [] "" true 0s 15m0s
	// alice [notes:read notes:write] "editor" true 0s 15m0s
	// alice [] "" false 1h0m0s 15m0s
	// alice [] "" true 10m0s 50m0s
	// expired_token true false
	// not_yet_valid_token false true
}

// Bearer puts the token in the Authorization header.
func ExampleBearer() {
	kit := pasetotest.New(t, pasetotest.Config{})
	req := pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), kit.AccessToken(t, "alice"))
	resp := serve(app(kit.Guard), req)
	fmt.Println(resp.StatusCode, len(req.Header.Get("Authorization")) > len("Bearer v4.local."))
	// Output:
	// 200 true
}

// A scope the route demands and the token lacks is 403.
func ExampleScopes() {
	kit := pasetotest.New(t, pasetotest.Config{})
	h := app(kit.Guard)
	for _, tok := range []string{
		kit.AccessToken(t, "alice", pasetotest.Scopes("notes:write")),
		kit.AccessToken(t, "alice", pasetotest.Scopes("notes:read")),
	} {
		resp := serve(h, pasetotest.Bearer(httptest.NewRequest("POST", "/notes", nil), tok))
		fmt.Printf("%d %q\n", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Output:
	// 201 ""
	// 403 "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"token lacks the required scope\", scope=\"notes:write\""
}

// Custom claims, read back typed.
func ExampleClaim() {
	kit := pasetotest.New(t, pasetotest.Config{})
	tok := kit.AccessToken(t, "u-1001", pasetotest.Claim("role", "admin"), pasetotest.Claim("teams", []string{"docs", "ops"}))
	c, _ := kit.Auth.VerifyAccess(context.Background(), tok)
	role, _ := paseto.Claim[string](c, "role")
	teams, _ := paseto.Claim[[]string](c, "teams")
	fmt.Println(role, teams)
	// Output:
	// admin [docs ops]
}

// The device a session is listed with.
func ExampleDevice() {
	kit := pasetotest.New(t, pasetotest.Config{})
	kit.Login(t, "alice", pasetotest.Device(paseto.Device{UserAgent: "Firefox", Label: "laptop"}))
	list, _ := kit.Auth.ListSessions(context.Background(), "alice", "")
	fmt.Println(len(list), list[0].UserAgent, list[0].Label)
	// Output:
	// 1 Firefox laptop
}

// A second access token of a session: logging out with one ends both.
func ExampleInSession() {
	kit := pasetotest.New(t, pasetotest.Config{})
	pair := kit.Login(t, "alice")
	other := kit.AccessToken(t, "alice", pasetotest.InSession(pair.Access.Session))
	h := app(kit.Guard)
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("POST", "/auth/logout", nil), pair.AccessToken)).StatusCode)
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), other)).StatusCode)
	// Output:
	// 204
	// 401
}

// A token minted by a refresh is not fresh: FreshRequired refuses it.
func ExampleNotFresh() {
	kit := pasetotest.New(t, pasetotest.Config{})
	h := app(kit.Guard)
	for _, tok := range []string{kit.AccessToken(t, "alice"), kit.AccessToken(t, "alice", pasetotest.NotFresh())} {
		fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("DELETE", "/account", nil), tok)).StatusCode)
	}
	// Output:
	// 204
	// 401
}

// A fresh token whose credentials are older than the route's max age.
func ExampleAuthTime() {
	kit := pasetotest.New(t, pasetotest.Config{})
	tok := kit.AccessToken(t, "alice", pasetotest.AuthTime(kit.Clock.Now().Add(-6*time.Minute)))
	resp := serve(app(kit.Guard), pasetotest.Bearer(httptest.NewRequest("DELETE", "/account", nil), tok))
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer realm="api", error="insufficient_user_authentication", error_description="fresh token required", max_age=300
}

// A token living a minute, then the clock moves past it.
func ExampleLifetime() {
	kit := pasetotest.New(t, pasetotest.Config{})
	tok := kit.AccessToken(t, "alice", pasetotest.Lifetime(time.Minute))
	_, err := kit.Auth.VerifyAccess(context.Background(), tok)
	fmt.Println(err)
	kit.Clock.Advance(time.Minute + time.Second)
	_, err = kit.Auth.VerifyAccess(context.Background(), tok)
	fmt.Println(errors.Is(err, paseto.ErrExpired))
	// Output:
	// <nil>
	// true
}

// A token minted ten minutes ago: still valid, its login too old for a
// five-minute freshness window.
func ExampleIssuedAt() {
	kit := pasetotest.New(t, pasetotest.Config{})
	tok := kit.AccessToken(t, "alice", pasetotest.IssuedAt(kit.Clock.Now().Add(-10*time.Minute)))
	h := app(kit.Guard)
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tok)).StatusCode)
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("DELETE", "/account", nil), tok)).StatusCode)
	// Output:
	// 200
	// 401
}

// An expired token, in a session that is still live.
func ExampleExpired() {
	kit := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) { c.Leeway = 30 * time.Second }})
	resp := serve(app(kit.Guard), pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), kit.AccessToken(t, "alice", pasetotest.Expired())))
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer realm="api", error="invalid_token", error_description="token has expired"
}

// A token from a server whose clock runs ahead.
func ExampleNotYetValid() {
	kit := pasetotest.New(t, pasetotest.Config{})
	_, err := kit.Auth.VerifyAccess(context.Background(), kit.AccessToken(t, "alice", pasetotest.NotYetValid()))
	fmt.Println(errors.Is(err, paseto.ErrNotYetValid))
	// Output:
	// true
}

// A refresh token, its rotation, and the idle timeout ending the session
// when the clock moves past it.
func ExampleKit_Login() {
	kit := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) { c.IdleTimeout = time.Hour }})
	ctx := context.Background()
	pair := kit.Login(t, "alice", pasetotest.Scopes("notes:read"))
	next, err := kit.Auth.Refresh(ctx, pair.RefreshToken)
	fmt.Println(err, next.Access.Scopes, next.Access.Fresh)

	kit.Clock.Advance(time.Hour + time.Second)
	_, err = kit.Auth.Refresh(ctx, next.RefreshToken)
	fmt.Println(errors.Is(err, paseto.ErrSessionExpired))
	// Output:
	// <nil> [notes:read] false
	// true
}

// A cookie session, as a browser holds it.
func ExampleKit_CookieLogin() {
	kit := pasetotest.New(t, pasetotest.Config{})
	cs := kit.CookieLogin(t, "alice")
	for _, c := range cs.Cookies {
		fmt.Println(c.Name, c.Path, c.HttpOnly)
	}
	fmt.Println(cs.CSRF == cs.Cookies[2].Value)
	// Output:
	// __Host-access_token / true
	// __Host-refresh_token / true
	// __Host-csrf_token / false
	// true
}

// The cookies and the CSRF header on a request; without the header, an
// unsafe method is refused.
func ExampleCookieSession_Apply() {
	kit := pasetotest.New(t, pasetotest.Config{})
	h := app(kit.Guard)
	cs := kit.CookieLogin(t, "alice", pasetotest.Scopes("notes:write"))
	fmt.Println(serve(h, cs.Apply(httptest.NewRequest("POST", "/notes", nil))).StatusCode)

	req := cs.Apply(httptest.NewRequest("POST", "/notes", nil))
	req.Header.Del("X-CSRF-Token")
	fmt.Println(serve(h, req).StatusCode)
	// Output:
	// 201
	// 403
}

// The session follows the cookies a refresh sets, and a logout's.
func ExampleCookieSession_Update() {
	kit := pasetotest.New(t, pasetotest.Config{})
	h := app(kit.Guard)
	cs := kit.CookieLogin(t, "alice")
	before := cs.Cookies[0].Value

	resp := serve(h, cs.Apply(httptest.NewRequest("POST", "/auth/refresh", nil)))
	cs.Update(resp.Header)
	fmt.Println(resp.StatusCode, cs.Cookies[0].Value != before, len(cs.Cookies))
	fmt.Println(serve(h, cs.Apply(httptest.NewRequest("GET", "/me", nil))).StatusCode)

	resp = serve(h, cs.Apply(httptest.NewRequest("POST", "/auth/logout", nil)))
	cs.Update(resp.Header)
	fmt.Println(resp.StatusCode, len(cs.Cookies), cs.CSRF == "")
	// Output:
	// 200 true 3
	// 200
	// 204 0 true
}

// A refresh token presented twice: the reuse is a security event, and the
// session ends.
func ExampleKit_Events() {
	kit := pasetotest.New(t, pasetotest.Config{})
	ctx := context.Background()
	pair := kit.Login(t, "alice")
	_, _ = kit.Auth.Refresh(ctx, pair.RefreshToken)
	_, err := kit.Auth.Refresh(ctx, pair.RefreshToken)
	fmt.Println(errors.Is(err, paseto.ErrRefreshReused))
	for _, ev := range kit.Events() {
		fmt.Println(ev.Kind, ev.Subject)
	}
	// Output:
	// true
	// reused_refresh_token alice
}

// The store down: the app answers 503 with Retry-After, and its handler
// does not run. Healed, the same token works.
func ExampleFaultyStore_Set() {
	kit := pasetotest.New(t, pasetotest.Config{})
	h := app(kit.Guard)
	tok := kit.AccessToken(t, "alice")

	kit.Store.Set(pasetotest.Unavailable)
	resp := serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tok))
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))

	kit.Store.Set(pasetotest.Corrupt, pasetotest.OpSessionLive)
	_, err := kit.Auth.VerifyAccess(context.Background(), tok)
	fmt.Println(errors.Is(err, paseto.ErrStoreCorrupt), errors.Is(err, paseto.ErrStoreUnavailable))

	kit.Store.Set(pasetotest.NoFault)
	fmt.Println(serve(h, pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tok)).StatusCode)
	// Output:
	// 503 1
	// true true
	// 200
}

// A hung store: the call waits for the Auth's store deadline, then fails
// as unavailable (503 over HTTP).
func ExampleFault() {
	kit := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) { c.StoreTimeout = 50 * time.Millisecond }})
	tok := kit.AccessToken(t, "alice")
	kit.Store.Set(pasetotest.Hang, pasetotest.OpSessionLive)
	start := time.Now()
	_, err := kit.Auth.VerifyAccess(context.Background(), tok)
	fmt.Println(errors.Is(err, paseto.ErrStoreUnavailable), errors.Is(err, context.DeadlineExceeded), time.Since(start) >= 50*time.Millisecond)
	// Output:
	// true true true
}

// An expired refresh token never reaches the store.
func ExampleFaultyStore_Calls() {
	kit := pasetotest.New(t, pasetotest.Config{})
	pair := kit.Login(t, "alice") // the kit's own calls are not counted
	kit.Clock.Advance(31 * 24 * time.Hour)
	_, err := kit.Auth.Refresh(context.Background(), pair.RefreshToken)
	fmt.Println(errors.Is(err, paseto.ErrExpired), kit.Store.Calls())

	_, _ = kit.Auth.VerifyAccess(context.Background(), kit.AccessToken(t, "bob"))
	fmt.Println(kit.Store.Calls(pasetotest.OpSessionLive), kit.Store.Calls(pasetotest.OpRotate|pasetotest.OpCreateSession))
	// Output:
	// true 0
	// 1 0
}

// Any store, the app's own included, can be wrapped.
func ExampleNewFaultyStore() {
	inner := paseto.NewMemoryStore(paseto.MemoryStoreConfig{})
	s := pasetotest.NewFaultyStore(inner)
	s.Set(pasetotest.Unavailable, pasetotest.OpRevokeSubject)
	err := s.RevokeSubject(context.Background(), "alice")
	fmt.Println(err)
	fmt.Println(errors.Is(err, pasetotest.ErrUnavailable), s.Calls(pasetotest.OpRevokeSubject), s.Unwrap() == inner)
	// Output:
	// pasetotest: store unavailable (injected fault) (RevokeSubject)
	// true 1 true
}

// Operations combine as a bit set.
func ExampleOp_String() {
	fmt.Println(pasetotest.OpRotate|pasetotest.OpSessionLive, pasetotest.AllOps == pasetotest.OpSessionLive|pasetotest.OpCreateSession|pasetotest.OpRotate|
		pasetotest.OpListSessions|pasetotest.OpRevokeSession|pasetotest.OpRevokeOtherSessions|pasetotest.OpRevokeSubject)
	// Output:
	// SessionLive|Rotate true
}
