package pasetotest_test

// The framework tests, one a file: each tests an app's handler behind the
// adapter's middleware the framework's own way. docs/testing.md quotes them.

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

func init() { gin.SetMode(gin.TestMode) }

// gin: the app's router served through httptest, a token per case.
func TestGinNotes(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	m := ginpaseto.New(kit.Guard, ginpaseto.Config{})
	r := gin.New() // in your app: r := newRouter(kit.Guard)
	r.GET("/notes", m.Required(paseto.WithScopes("notes:read")), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"owner": ginpaseto.Subject(c)})
	})

	for _, tc := range []struct {
		name string
		tok  string
		want int
	}{
		{"reader", kit.AccessToken(t, "alice", pasetotest.Scopes("notes:read")), http.StatusOK},
		{"no scope", kit.AccessToken(t, "alice"), http.StatusForbidden},
		{"expired", kit.AccessToken(t, "alice", pasetotest.Scopes("notes:read"), pasetotest.Expired()), http.StatusUnauthorized},
		{"not yet valid", kit.AccessToken(t, "alice", pasetotest.Scopes("notes:read"), pasetotest.NotYetValid()), http.StatusUnauthorized},
	} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, pasetotest.Bearer(httptest.NewRequest("GET", "/notes", nil), tc.tok))
		if rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, rec.Code, tc.want, rec.Body)
		}
	}
}

// gin.CreateTestContext: the middleware called on a test context, then the
// app's handler on the same context when it let the request through.
func TestGinTestContext(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	m := ginpaseto.New(kit.Guard, ginpaseto.Config{})
	me := func(c *gin.Context) { c.String(http.StatusOK, "hello, "+ginpaseto.Subject(c)) }

	for _, tc := range []struct {
		tok  string
		want int
	}{
		{kit.AccessToken(t, "alice"), http.StatusOK},
		{kit.AccessToken(t, "alice", pasetotest.Expired()), http.StatusUnauthorized},
	} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = pasetotest.Bearer(httptest.NewRequest("GET", "/me", nil), tc.tok)
		if m.Required()(c); !c.IsAborted() {
			me(c)
		}
		if rec.Code != tc.want {
			t.Errorf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
		}
	}
}
