package pasetotest_test

// The framework tests, one a file: each tests an app's handler behind the
// adapter's middleware the framework's own way. docs/testing.md quotes them.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// net/http: the app's handler reads a custom claim; revoking the user
// ends every session at once.
func TestNetHTTPAdmin(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	m := httppaseto.New(kit.Guard, httppaseto.Config{})
	admin := m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := httppaseto.Claims(r.Context())
		if role, _ := paseto.Claim[string](claims, "role"); role != "admin" {
			http.Error(w, "admins only", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "hello, %s", claims.Subject)
	}))
	get := func(tok string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, pasetotest.Bearer(httptest.NewRequest("GET", "/admin", nil), tok))
		return rec
	}

	tok := kit.AccessToken(t, "alice", pasetotest.Claim("role", "admin"))
	if rec := get(tok); rec.Code != http.StatusOK || rec.Body.String() != "hello, alice" {
		t.Errorf("admin: status %d, body %q", rec.Code, rec.Body)
	}
	if rec := get(kit.AccessToken(t, "bob", pasetotest.Claim("role", "user"))); rec.Code != http.StatusForbidden {
		t.Errorf("user: status %d", rec.Code)
	}
	if err := kit.Auth.RevokeSubject(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if rec := get(tok); rec.Code != http.StatusUnauthorized {
		t.Errorf("after RevokeSubject: status %d", rec.Code)
	}
}
