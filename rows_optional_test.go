package pasetoauth_test

// Optional routes: anonymous without a token, and WithAnonymousOnInvalid.

import (
	"net/http"

	"github.com/pasetoauth/pasetoauth/pasetotest"
)

var optionalRows = []row{
	{
		name: "optional without token",
		req:  func(e *env) *http.Request { return req("GET", "/optional") },
		want: ok(""),
	},
	{
		name: "optional with valid token",
		req:  func(e *env) *http.Request { return req("GET", "/optional", bearer(e.login("alice").AccessToken)...) },
		want: ok("alice"),
	},
	{
		name: "optional with bad token",
		req: func(e *env) *http.Request {
			return req("GET", "/optional", bearer(tamper(e.login("alice").AccessToken))...)
		},
		want: deny(401, invalid("invalid token"), "invalid_token"),
	},
	{
		name: "optional with bad token, WithAnonymousOnInvalid",
		req: func(e *env) *http.Request {
			return req("GET", "/optional-lenient", bearer(tamper(e.login("alice").AccessToken))...)
		},
		want: ok(""),
	},
	{
		name: "optional, WithAnonymousOnInvalid, store down",
		req: func(e *env) *http.Request {
			tok := e.login("alice").AccessToken
			e.store.Set(pasetotest.Unavailable)
			return req("GET", "/optional-lenient", bearer(tok)...)
		},
		want: deny(503, "", "temporarily_unavailable"),
	},
}
