package pasetotest_test

// The framework tests, one a file: each tests an app's handler behind the
// adapter's middleware the framework's own way. docs/testing.md quotes them.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// echo v5: a pair from kit.Login refreshed through the app's refresh
// endpoint; the replaced refresh token, presented again, ends the session.
func TestEchoV5Refresh(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	m := echov5paseto.New(kit.Guard, echov5paseto.Config{})
	e := echo.New()
	e.POST("/auth/refresh", m.RefreshHandler())
	e.GET("/me", func(c *echo.Context) error { return c.String(http.StatusOK, echov5paseto.Subject(c)) }, m.Required())
	send := func(method, path, tok string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, pasetotest.Bearer(httptest.NewRequest(method, path, nil), tok))
		return rec
	}

	pair := kit.Login(t, "alice")
	kit.Clock.Advance(20 * time.Minute) // past the access token's 15 minutes
	if rec := send("GET", "/me", pair.AccessToken); rec.Code != http.StatusUnauthorized {
		t.Errorf("expired access token: status %d", rec.Code)
	}
	rec := send("POST", "/auth/refresh", pair.RefreshToken)
	var next paseto.TokenPair
	if err := json.Unmarshal(rec.Body.Bytes(), &next); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("refresh: status %d, %v", rec.Code, err)
	}
	if rec := send("GET", "/me", next.AccessToken); rec.Code != http.StatusOK || rec.Body.String() != "alice" {
		t.Errorf("refreshed access token: status %d, body %q", rec.Code, rec.Body)
	}
	if rec := send("POST", "/auth/refresh", pair.RefreshToken); rec.Code != http.StatusUnauthorized {
		t.Errorf("reused refresh token: status %d", rec.Code)
	}
	if ev := kit.Events(); len(ev) != 1 || ev[0].Kind != paseto.EventRefreshReused {
		t.Errorf("security events %v, want one reuse", ev)
	}
	if rec := send("GET", "/me", next.AccessToken); rec.Code != http.StatusUnauthorized {
		t.Errorf("after the reuse, the session's access token: status %d", rec.Code)
	}
}
