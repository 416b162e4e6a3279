package pasetoauth_test

// The refresh hook (Config.OnRefresh): refusing, changing claims,
// narrowing scopes within the login grant, and failing.

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

var hookRows = []row{
	{
		name: "refresh hook refuses a user: session ended",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				if c.Subject == "mallory" {
					return paseto.RefreshUpdate{}, fmt.Errorf("%w: account disabled", paseto.ErrRefreshDenied)
				}
				return paseto.RefreshUpdate{}, nil
			})
			e.pair = e.login("mallory")
			return req("POST", "/refresh", bearer(e.pair.RefreshToken)...)
		},
		want: deny(401, invalid("refresh denied; session ended"), "denied_refresh"),
		then: func(t *testing.T, e *env, res *result) {
			revoked := deny(401, invalid("token has been revoked"), "revoked_token")
			e.expect(t, req("GET", "/protected", bearer(e.pair.AccessToken)...), revoked)
			// The hook runs before the store, so it refuses again ...
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...),
				deny(401, invalid("refresh denied; session ended"), "denied_refresh"))
			// ... and without it the store does: the session is over.
			e.setHook(nil)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), revoked)
			// Other users refresh as before.
			e.expect(t, req("POST", "/refresh", bearer(e.login("alice").RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "refresh hook refuses an implicit refresh: session ended",
		req: func(e *env) *http.Request {
			e.setHook(func(context.Context, *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{}, paseto.ErrRefreshDenied
			})
			b := e.cookieLogin("alice")
			e.clock.Advance(14 * time.Minute)
			e.browser = b
			return req("GET", "/protected", "Cookie", b.cookies(true))
		},
		// The request was authorized before the refresh was due.
		want: ok("alice"),
		then: func(t *testing.T, e *env, res *result) {
			if sc := res.header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("a refused implicit refresh set cookies: %q", sc)
			}
			e.expect(t, req("GET", "/protected", "Cookie", e.browser.cookies(false)),
				deny(401, invalid("token has been revoked"), "revoked_token"))
		},
	},
	{
		name: "refresh hook changes a claim",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Claims: map[string]any{"tenant": "staff"}}, nil
			})
			p := e.loginClaims("alice", map[string]any{"tenant": "guest"})
			e.expect(e.t, req("GET", "/staff", bearer(p.AccessToken)...), deny(403, needOwn, "insufficient_scope"))
			return req("POST", "/refresh", bearer(p.RefreshToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/staff", bearer(res.reply.AccessToken)...), ok("alice"))
		},
	},
	{
		name: "refresh hook narrows scopes, and a later refresh restores them within the grant",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Scopes: []string{"reports:read"}}, nil
			})
			p := e.login("alice", "admin:*", "reports:read")
			return req("POST", "/refresh", bearer(p.RefreshToken)...)
		},
		want: endpoint(200),
		then: func(t *testing.T, e *env, res *result) {
			tok := res.reply.AccessToken
			e.expect(t, req("GET", "/admin", bearer(tok)...), deny(403, needScope, "insufficient_scope"))
			e.expect(t, req("GET", "/reports", bearer(tok)...), ok("alice"))
			// admin:users is within admin:*, so the hook may grant it.
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Scopes: []string{"admin:users"}}, nil
			})
			next := e.expect(t, req("POST", "/refresh", bearer(res.reply.RefreshToken)...), endpoint(200))
			e.expect(t, req("GET", "/admin", bearer(next.reply.AccessToken)...), ok("alice"))
		},
	},
	{
		name: "refresh hook widening scopes is refused: 500, nothing changed",
		req: func(e *env) *http.Request {
			e.setHook(func(_ context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{Scopes: []string{"reports:read", "admin:users"}}, nil
			})
			e.pair = e.login("alice", "reports:read")
			return req("POST", "/refresh", bearer(e.pair.RefreshToken)...)
		},
		want: deny(500, "", "server_error"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/reports", bearer(e.pair.AccessToken)...), ok("alice"))
			e.setHook(nil)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
	{
		name: "refresh hook failure: 500, nothing changed",
		req: func(e *env) *http.Request {
			e.setHook(func(context.Context, *paseto.Claims) (paseto.RefreshUpdate, error) {
				return paseto.RefreshUpdate{}, fmt.Errorf("user database: %w", paseto.ErrRevoked)
			})
			e.pair = e.login("alice")
			return req("POST", "/refresh", bearer(e.pair.RefreshToken)...)
		},
		want: deny(500, "", "server_error"),
		then: func(t *testing.T, e *env, res *result) {
			e.expect(t, req("GET", "/protected", bearer(e.pair.AccessToken)...), ok("alice"))
			e.setHook(nil)
			e.expect(t, req("POST", "/refresh", bearer(e.pair.RefreshToken)...), endpoint(200))
		},
	},
}
