package pasetoauth_test

// The access token on a request: where a guard finds it, and what
// verification says of it, down to the session check in the store.

import (
	"net/http"
	"strings"
	"time"

	"github.com/pasetoauth/pasetoauth/pasetotest"
)

var tokenRows = []row{
	// Missing, malformed, forged, expired, revoked, or of the wrong type.
	{
		name: "no token",
		req:  func(e *env) *http.Request { return req("GET", "/protected") },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "malformed token",
		req:  func(e *env) *http.Request { return req("GET", "/protected", bearer("not-a-paseto")...) },
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "tampered token",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", bearer(tamper(e.login("alice").AccessToken))...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "expired",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.clock.Advance(16 * time.Minute)
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(401, invalid("token has expired"), "expired_token"),
	},
	{
		// Crypto first: a forged token never reports a claim error.
		name: "tampered and expired",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.clock.Advance(16 * time.Minute)
			return req("GET", "/protected", bearer(tamper(tok))...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "revoked after logout",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.expect(e.t, req("POST", "/logout", bearer(tok)...), endpoint(204))
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(401, invalid("token has been revoked"), "revoked_token"),
	},
	{
		// Refresh tokens are sealed under their own key: the access ring
		// does not know its kid, so it fails as unauthenticated.
		name: "refresh token on access route",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", bearer(e.login("alice").RefreshToken)...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},

	// The Authorization header.
	{
		name: "valid bearer",
		req:  func(e *env) *http.Request { return req("GET", "/protected", bearer(e.login("alice").AccessToken)...) },
		want: ok("alice"),
	},
	{
		name: "Bearer alone",
		req:  func(e *env) *http.Request { return req("GET", "/protected", "Authorization", "Bearer") },
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "lowercase bearer scheme",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", "Authorization", "bearer "+e.login("alice").AccessToken)
		},
		want: ok("alice"),
	},
	{
		name: "other scheme",
		req:  func(e *env) *http.Request { return req("GET", "/protected", "Authorization", "Basic dXNlcjpwYXNz") },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "two Authorization headers",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			return req("GET", "/protected", "Authorization", "Bearer "+tok, "Authorization", "Bearer "+tok)
		},
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "wrong purpose (v4.public to a v4.local guard)",
		req:  func(e *env) *http.Request { return req("GET", "/protected", bearer(e.publicToken("alice"))...) },
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},
	{
		name: "oversize header (9 KiB token)",
		req: func(e *env) *http.Request {
			return req("GET", "/protected", bearer("v4.local."+strings.Repeat("A", 9<<10))...)
		},
		want: deny(401, invalid("malformed token"), "malformed_token"),
	},

	// The query string.
	{
		name: "query token on a normal route",
		req:  func(e *env) *http.Request { return req("GET", "/protected?access_token="+e.login("alice").AccessToken) },
		want: deny(401, realm, "missing_token"),
	},
	{
		name: "query token with WithQueryToken",
		req:  func(e *env) *http.Request { return req("GET", "/ws?access_token="+e.login("alice").AccessToken) },
		want: ok("alice"),
	},
	{
		name: "refresh token in query on refresh route",
		req: func(e *env) *http.Request {
			rt := e.login("alice").RefreshToken
			return req("POST", "/refresh?refresh_token="+rt+"&access_token="+rt)
		},
		want: deny(401, realm, "missing_token"),
	},

	// The session store, which every verification consults.
	{
		name: "store down",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.Set(pasetotest.Unavailable)
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},
	{
		name: "store hung: 503 at the store deadline",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.Set(pasetotest.Hang)
			return req("GET", "/protected", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},
}
