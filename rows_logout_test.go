package pasetoauth_test

// The logout endpoint (LogoutHandler), by bearer token and by cookies.

import (
	"context"
	"net/http"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

var logoutRows = []row{
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
			e.store.Set(pasetotest.Unavailable)
			return req("POST", "/logout", "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf)
		},
		want: deny(503, "", "temporarily_unavailable"),
		then: func(t *testing.T, e *env, res *result) {
			b := e.browser
			e.store.Set(pasetotest.NoFault)
			retry := e.expect(t, req("POST", "/logout", "Cookie", b.cookies(true), "X-CSRF-Token", b.csrf), want{status: 204, clears: true})
			expectCleared(t, e, retry)
			e.expect(t, req("GET", "/protected", "Cookie", b.cookies(true)),
				deny(401, invalid("token has been revoked"), "revoked_token"))
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
