package pasetoauth_test

// Authorization after authentication: scopes, and the app's own
// Requirements on the claims and the request's context.

import (
	"context"
	"net/http"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

var scopeRows = []row{
	// Scopes.
	{
		name: "scope granted by wildcard",
		req: func(e *env) *http.Request {
			return req("GET", "/admin", bearer(e.login("alice", "admin:*").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "scope not granted (administrator)",
		req: func(e *env) *http.Request {
			return req("GET", "/admin", bearer(e.login("alice", "administrator").AccessToken)...)
		},
		want: deny(403, needScope, "insufficient_scope"),
	},
	{
		name: "scope needed, token has none",
		req: func(e *env) *http.Request {
			return req("GET", "/admin", bearer(e.login("alice").AccessToken)...)
		},
		want: deny(403, needScope, "insufficient_scope"),
	},
	{
		name: "any-of scopes, one granted",
		req: func(e *env) *http.Request {
			return req("GET", "/reports", bearer(e.login("alice", "reports:read").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "any-of scopes, none granted",
		req: func(e *env) *http.Request {
			return req("GET", "/reports", bearer(e.login("alice", "reports:write", "admin").AccessToken)...)
		},
		want: deny(403, needAny, "insufficient_scope"),
	},
	{
		name: "scope check after authentication (expired token with the scope)",
		req: func(e *env) *http.Request {
			tok := e.login("alice", "admin:*").AccessToken
			e.clock.Advance(paseto.DefaultAccessLifetime + time.Second)
			return req("GET", "/admin", bearer(tok)...)
		},
		want: deny(401, invalid("token has expired"), "expired_token"),
	},
	{
		name: "scope on a fresh route, refreshed token keeps the scope but is not fresh",
		req: func(e *env) *http.Request {
			first := e.login("alice", "admin:users")
			next, err := e.auth.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				e.t.Fatal(err)
			}
			return req("POST", "/admin-fresh", bearer(next.AccessToken)...)
		},
		want: deny(401, notFresh, "insufficient_user_authentication"),
	},
	{
		name: "scope on a fresh route, fresh token with the scope",
		req: func(e *env) *http.Request {
			return req("POST", "/admin-fresh", bearer(e.login("alice", "admin:users").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "refresh never widens scopes",
		req: func(e *env) *http.Request {
			first := e.login("alice", "reports:read")
			next, err := e.auth.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				e.t.Fatal(err)
			}
			return req("GET", "/admin", bearer(next.AccessToken)...)
		},
		want: deny(403, needScope, "insufficient_scope"),
	},

	// The app's own Requirements.
	{
		name: "own authorization check passes",
		req: func(e *env) *http.Request {
			return req("GET", "/staff", bearer(e.loginClaims("alice", map[string]any{"tenant": "staff"}).AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "own authorization check refuses",
		req: func(e *env) *http.Request {
			return req("GET", "/staff", bearer(e.loginClaims("alice", map[string]any{"tenant": "customer"}).AccessToken)...)
		},
		want: deny(403, needOwn, "insufficient_scope"),
	},

	// A Requirement with the request's context.
	{
		name: "requirement with context passes",
		req: func(e *env) *http.Request {
			return req("GET", "/not-banned", bearer(e.login("alice").AccessToken)...)
		},
		want: ok("alice"),
	},
	{
		name: "requirement with context refuses",
		req: func(e *env) *http.Request {
			return req("GET", "/not-banned", bearer(e.login("mallory").AccessToken)...)
		},
		want: deny(403, needOwn, "insufficient_scope"),
	},
}
