package pasetotest_test

// The framework tests, one a file: each tests an app's handler behind the
// adapter's middleware the framework's own way. docs/testing.md quotes them.

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pasetoauth/pasetoauth/adapters/echopaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// echo v4: the handler and its middleware called on e.NewContext; the
// kit's clock moves past the route's freshness window.
func TestEchoDeleteAccount(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	m := echopaseto.New(kit.Guard, echopaseto.Config{})
	deleteAccount := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	h := m.FreshRequired(paseto.WithMaxAge(5 * time.Minute))(deleteAccount)
	e := echo.New()
	call := func(tok string) (*httptest.ResponseRecorder, error) {
		rec := httptest.NewRecorder()
		req := pasetotest.Bearer(httptest.NewRequest("DELETE", "/account", nil), tok)
		return rec, h(e.NewContext(req, rec))
	}

	tok := kit.AccessToken(t, "alice") // fresh, as a login gives
	if rec, err := call(tok); err != nil || rec.Code != http.StatusNoContent {
		t.Fatalf("fresh token: %v, status %d", err, rec.Code)
	}
	kit.Clock.Advance(5*time.Minute + time.Second)
	if _, err := call(tok); !errors.Is(err, paseto.ErrNotFresh) {
		t.Errorf("after the freshness window: %v, want ErrNotFresh", err)
	}
	if _, err := call(kit.AccessToken(t, "alice", pasetotest.NotFresh())); !errors.Is(err, paseto.ErrNotFresh) {
		t.Errorf("a token minted by refresh: %v, want ErrNotFresh", err)
	}
	var he *echo.HTTPError
	if _, err := call(kit.AccessToken(t, "alice", pasetotest.Expired())); !errors.As(err, &he) || he.Code != http.StatusUnauthorized {
		t.Errorf("expired token: %v, want a 401 *echo.HTTPError", err)
	}
}
