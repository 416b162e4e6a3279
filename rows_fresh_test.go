package pasetoauth_test

// Freshness: FreshRequired routes, with and without WithMaxAge, and the
// app's fresh re-login within a session (Auth.FreshLogin).

import (
	"context"
	"net/http"
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
}
