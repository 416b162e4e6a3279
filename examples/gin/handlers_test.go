package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// TestHandlersWithKit runs the example's real routes over an Auth from
// pasetotest (docs/testing.md): the kit mints the tokens, so no test logs
// in. A copy of this example keeps it as the start of its own tests.
func TestHandlersWithKit(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{
		// The cookies as the example's browser Guard sets them.
		Guard: func(g *paseto.GuardConfig) { g.Cookies.RefreshPath = "/cookie/session" },
	})
	router, err := newRouter(&backend{auth: kit.Auth})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(t *testing.T, r *http.Request) *http.Response {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		return w.Result()
	}

	bearer := func(method, path, tok string) *http.Request {
		return pasetotest.Bearer(httptest.NewRequest(method, path, nil), tok)
	}
	cookies := kit.CookieLogin(t, "test")
	tests := []struct {
		name   string
		req    *http.Request
		status int
		want   string // in the body: the subject, or the error code
	}{
		{"protected", bearer("GET", "/protected", kit.AccessToken(t, "test")), http.StatusOK, `"user":"test"`},
		{"admin scope", bearer("GET", "/admin", kit.AccessToken(t, "test", pasetotest.Scopes("admin:*"))), http.StatusOK, `"user":"test"`},
		{"no admin scope", bearer("GET", "/admin", kit.AccessToken(t, "user1")), http.StatusForbidden, "insufficient_scope"},
		{"fresh", bearer("POST", "/fresh", kit.AccessToken(t, "test")), http.StatusOK, `"user":"test"`},
		{"not fresh", bearer("POST", "/fresh", kit.AccessToken(t, "test", pasetotest.NotFresh())), http.StatusUnauthorized, "insufficient_user_authentication"},
		{"expired", bearer("GET", "/protected", kit.AccessToken(t, "test", pasetotest.Expired())), http.StatusUnauthorized, "expired_token"},
		{"cookie", cookies.Apply(httptest.NewRequest("GET", "/cookie/protected", nil)), http.StatusOK, `"user":"test"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := serve(t, tc.req)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%s %s: %d %s, want %d with %s", tc.req.Method, tc.req.URL.Path, resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}
