package pasetoauth_test

// Cookie sessions: the double-submit CSRF check on unsafe methods, and the
// implicit refresh of a session near expiry.
//
// The cookie refresh and logout endpoints are in rows_refresh_test.go and
// rows_logout_test.go.

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

var cookieRows = []row{
	// Cookies and CSRF.
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
			if cc := res.header.Values("Cache-Control"); !slices.Contains(cc, "no-store") {
				t.Errorf("Cache-Control = %q on a response carrying new tokens, want no-store", cc)
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
}
