package pasetoauth_test

// The refresh endpoint (RefreshHandler) and RefreshRequired: where the
// refresh token is read from, rotation, reuse and the grace window.
//
// Implicit refresh is in rows_cookies_test.go, the refresh hook in
// rows_hook_test.go.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

var refreshRows = []row{
	{
		name: "access token on refresh route",
		req:  func(e *env) *http.Request { return req("POST", "/refresh", bearer(e.login("alice").AccessToken)...) },
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "refresh via header",
		req:  func(e *env) *http.Request { return req("POST", "/refresh", bearer(e.login("alice").RefreshToken)...) },
		want: endpoint(200),
		then: checkTokenReply,
	},
	{
		name: "refresh via JSON body",
		req: func(e *env) *http.Request {
			return reqBody("POST", "/refresh", `{"refresh_token":"`+e.login("alice").RefreshToken+`"}`)
		},
		want: endpoint(200),
		then: checkTokenReply,
	},
	{
		name: "refresh via cookie with CSRF header",
		req: func(e *env) *http.Request {
			b := e.cookieLogin("alice")
			e.browser = b
			e.clock.Advance(time.Hour) // the new refresh cookie outlives the first
			return req("POST", "/refresh", "Cookie", b.refreshCookies(), "X-CSRF-Token", b.csrf)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			r := res.reply
			if r.AccessToken != "" || r.RefreshToken != "" || r.TokenType != "Bearer" || r.ExpiresIn <= 0 {
				t.Errorf("cookie refresh body = %s, want no tokens", res.body)
			}
			names := e.guard.Config().Cookies
			set := res.cookies()
			access, refresh, csrf := set[names.AccessName], set[names.RefreshName], set[names.CSRFName]
			if access == nil || refresh == nil || csrf == nil || len(set) != 3 {
				t.Fatalf("Set-Cookie = %q, want new access and refresh cookies and the CSRF cookie renewed", res.header.Values("Set-Cookie"))
			}
			// The CSRF value stays (it is bound to the session) but lives as
			// long as the new refresh cookie, not the first one.
			if csrf.Value != e.browser.csrf || csrf.MaxAge != refresh.MaxAge || csrf.HttpOnly {
				t.Errorf("CSRF cookie %s, want value %q with the refresh cookie's Max-Age %d, readable by scripts", csrf, e.browser.csrf, refresh.MaxAge)
			}
			if !access.HttpOnly || !access.Secure || access.SameSite != http.SameSiteStrictMode {
				t.Errorf("access cookie attributes: %s", access)
			}
			e.expect(t, req("GET", "/protected", "Cookie", names.AccessName+"="+access.Value), ok("alice"))
		},
	},
	{
		name: "refresh via cookie without CSRF header",
		req: func(e *env) *http.Request {
			return req("POST", "/refresh", "Cookie", e.cookieLogin("alice").refreshCookies())
		},
		want: deny(403, "", "invalid_csrf_token"),
	},
	{
		name: "cookie refresh with a planted refresh cookie sent first uses the browser's own",
		req: func(e *env) *http.Request {
			b, planted := e.cookieLogin("alice"), e.cookieLogin("mallory")
			e.browser = b
			return req("POST", "/refresh", "Cookie", b.names.RefreshName+"="+planted.refresh+"; "+b.refreshCookies(), "X-CSRF-Token", b.csrf)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			var got struct{ Sub string }
			for _, c := range res.cookies() {
				if c.Name == e.browser.names.AccessName {
					claims, err := e.auth.VerifyAccess(context.Background(), c.Value)
					if err != nil || claims.Subject != "alice" {
						t.Errorf("new access cookie: %v, %v; want alice's", claims, err)
					}
					got.Sub = "alice"
				}
			}
			if got.Sub == "" {
				t.Errorf("no new access cookie: %q", res.header.Values("Set-Cookie"))
			}
		},
	},
	{
		name: "refresh reuse",
		req: func(e *env) *http.Request {
			first := e.login("alice")
			if _, err := e.auth.Refresh(context.Background(), first.RefreshToken); err != nil {
				e.t.Fatal(err)
			}
			e.clock.Advance(gracePeriod + time.Second)
			return req("POST", "/refresh", bearer(first.RefreshToken)...)
		},
		want: deny(401, invalid("refresh token reuse detected; session revoked"), "reused_refresh_token"),
	},
	{
		name: "refresh retry within the grace window",
		req: func(e *env) *http.Request {
			first := e.login("alice")
			next, err := e.auth.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				e.t.Fatal(err)
			}
			e.pair = next
			e.clock.Advance(gracePeriod / 2)
			return req("POST", "/refresh", bearer(first.RefreshToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			// The same successor, minted again: another string (a fresh
			// nonce), the same token ID.
			v, err := paseto.NewVerifier(e.auth.Config().RefreshKeys, paseto.TypeRefresh, paseto.VerifierConfig{Clock: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(context.Background(), res.reply.RefreshToken)
			if err != nil {
				t.Fatalf("the retry's successor: %v", err)
			}
			want, err := v.Verify(context.Background(), e.pair.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID {
				t.Errorf("a retry got another successor than the first refresh")
			}
		},
	},
	{
		name: "refresh with store down",
		req: func(e *env) *http.Request {
			rt := e.login("alice").RefreshToken
			e.store.Set(pasetotest.Unavailable)
			return req("POST", "/refresh", bearer(rt)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},
	{
		name: "RefreshRequired hands the pair on",
		req: func(e *env) *http.Request {
			return req("POST", "/refresh-next", bearer(e.login("alice").RefreshToken)...)
		},
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			if !res.reply.Pair {
				t.Errorf("the handler after RefreshRequired saw no token pair: %s", res.body)
			}
		},
	},
}

// checkTokenReply checks a refresh reply with the tokens in the body, then
// uses the new access token.
func checkTokenReply(t *testing.T, e *env, res *result) {
	t.Helper()
	r := res.reply
	if r.AccessToken == "" || r.RefreshToken == "" || r.TokenType != "Bearer" || r.ExpiresIn <= 0 {
		t.Errorf("refresh body = %s, want the OAuth 2.0 token response", res.body)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("a header or body refresh set cookies: %q", sc)
	}
	e.expect(t, req("GET", "/protected", bearer(r.AccessToken)...), ok("alice"))
	e.expect(t, req("POST", "/fresh", bearer(r.AccessToken)...), deny(401, notFresh, "insufficient_user_authentication"))
}
