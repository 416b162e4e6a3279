package pasetoauth_test

// Freshness: FreshRequired routes, with and without WithMaxAge, and the
// fresh re-login within a session: the app's own handler around
// Auth.FreshLogin (/fresh-login), and the adapters' Middleware.FreshLogin
// for a bearer and a cookie session (/adapter/fresh-login).

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

var freshRows = []row{
	// Fresh routes.
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
			// A fresh login adds freshness, not time: the new token expires
			// with the one presented (minted 10 minutes ago).
			left := int64((paseto.DefaultAccessLifetime - 10*time.Minute) / time.Second)
			if r.AccessToken == "" || r.RefreshToken != "" || r.TokenType != "Bearer" || r.ExpiresIn != left {
				t.Fatalf("fresh re-login body = %s, want access_token, token_type and expires_in %d only", res.body, left)
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
		want: want{status: 401, ran: true, code: "mismatched_subject", challenge: realm},
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
	// Fresh re-login through the adapter: the app checks the credentials,
	// then Middleware.FreshLogin mints the token and answers.
	{
		name: "adapter fresh re-login, bearer: a fresh token in the body",
		req: func(e *env) *http.Request {
			e.pair = e.refreshed("alice")
			e.clock.Advance(10 * time.Minute)
			return reqBody("POST", "/adapter/fresh-login", credentials("alice"), bearer(e.pair.AccessToken)...)
		},
		want: want{status: 200, ran: true},
		then: func(t *testing.T, e *env, res *result) {
			r := res.reply
			left := int64((paseto.DefaultAccessLifetime - 10*time.Minute) / time.Second)
			if r.AccessToken == "" || r.RefreshToken != "" || r.TokenType != "Bearer" || r.ExpiresIn != left {
				t.Fatalf("body = %s, want access_token, token_type Bearer and expires_in %d only", res.body, left)
			}
			checkFreshLoginHeaders(t, res)
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a bearer session's fresh re-login sets cookies: %q", sc)
			}
			c, err := e.auth.VerifyAccess(context.Background(), r.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if c.Session != e.pair.Access.Session || !c.Fresh {
				t.Errorf("fresh token: sid %q fresh %v, want the caller's sid %q, fresh", c.Session, c.Fresh, e.pair.Access.Session)
			}
			e.expect(t, req("POST", "/fresh-5m", bearer(r.AccessToken)...), ok("alice"))
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "adapter fresh re-login, bearer: another user's credentials",
		req: func(e *env) *http.Request {
			e.pair = e.refreshed("alice")
			return reqBody("POST", "/adapter/fresh-login", credentials("bob"), bearer(e.pair.AccessToken)...)
		},
		// The app's handler ran (it checked bob's credentials); the
		// adapter refused to mint for another user.
		want: want{status: 401, ran: true, code: "mismatched_subject", challenge: realm},
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("POST", "/fresh", bearer(e.pair.AccessToken)...), deny(401, notFresh, "insufficient_user_authentication"))
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "adapter fresh re-login without an access token",
		req: func(e *env) *http.Request {
			return reqBody("POST", "/adapter/fresh-login", credentials("alice"))
		},
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "adapter fresh re-login, cookie session: a fresh access cookie, no token in the body",
		req: func(e *env) *http.Request {
			e.browser = e.cookieLogin("alice")
			e.clock.Advance(10 * time.Minute)
			return reqBody("POST", "/adapter/fresh-login", credentials("alice"),
				"Cookie", e.browser.cookies(false), "X-CSRF-Token", e.browser.csrf)
		},
		want: want{status: 200, ran: true},
		then: func(t *testing.T, e *env, res *result) {
			b, names := e.browser, e.guard.Config().Cookies
			r := res.reply
			left := int64((paseto.DefaultAccessLifetime - 10*time.Minute) / time.Second)
			if r.AccessToken != "" || r.RefreshToken != "" || r.TokenType != "Bearer" || r.ExpiresIn != left {
				t.Fatalf("body = %s, want token_type Bearer and expires_in %d only: the token travels in the cookie", res.body, left)
			}
			checkFreshLoginHeaders(t, res)
			set := res.cookies()
			access := set[names.AccessName]
			if len(set) != 1 || access == nil || access.Value == "" || access.Value == b.access {
				t.Fatalf("Set-Cookie = %q, want a new access cookie only (refresh and CSRF cookies untouched)", res.header.Values("Set-Cookie"))
			}
			if !access.HttpOnly || !access.Secure || access.Path != "/" || access.MaxAge != int(left) {
				t.Errorf("access cookie %s, want HttpOnly, Secure, Path=/ and Max-Age %d", access, left)
			}
			c, err := e.auth.VerifyAccess(context.Background(), access.Value)
			if err != nil {
				t.Fatal(err)
			}
			old, err := e.auth.VerifyAccess(context.Background(), b.access)
			if err != nil {
				t.Fatal(err)
			}
			if c.Session != old.Session || !c.Fresh || c.CSRF != old.CSRF {
				t.Errorf("fresh cookie token: sid %q fresh %v, want the caller's sid %q, fresh, the same CSRF binding", c.Session, c.Fresh, old.Session)
			}
			// The old access cookie is 10 minutes old: too old for
			// /fresh-5m; the new one passes, with the same CSRF cookie.
			e.expect(t, req("POST", "/fresh-5m", "Cookie", b.cookies(false), "X-CSRF-Token", b.csrf),
				deny(401, notFresh+", max_age=300", "insufficient_user_authentication"))
			b.access = access.Value
			e.expect(t, req("POST", "/fresh-5m", "Cookie", b.cookies(false), "X-CSRF-Token", b.csrf), ok("alice"))
		},
	},
	{
		name: "adapter fresh re-login, cookie session without the CSRF header",
		req: func(e *env) *http.Request {
			return reqBody("POST", "/adapter/fresh-login", credentials("alice"), "Cookie", e.cookieLogin("alice").cookies(false))
		},
		want: deny(403, "", "invalid_csrf_token"),
	},
	{
		name: "adapter fresh re-login, cookie session: another user's credentials",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			return reqBody("POST", "/adapter/fresh-login", credentials("bob"), "Cookie", b.cookies(false), "X-CSRF-Token", b.csrf)
		},
		want: want{status: 401, ran: true, code: "mismatched_subject", challenge: realm},
	},
}

// checkFreshLoginHeaders checks the headers of a successful fresh re-login:
// JSON, not cacheable.
func checkFreshLoginHeaders(t *testing.T, res *result) {
	t.Helper()
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}
