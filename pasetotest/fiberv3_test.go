package pasetotest_test

// The framework tests, one a file: each tests an app's handler behind the
// adapter's middleware the framework's own way. docs/testing.md quotes them.

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// fiber v3: the store unavailable, hung or corrupt is 503 with
// Retry-After, and the handler never runs; healed, the same token works.
func TestFiberV3StoreDown(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{Auth: func(c *paseto.Config) { c.StoreTimeout = 100 * time.Millisecond }})
	m := fiberv3paseto.New(kit.Guard, fiberv3paseto.Config{})
	app := fiber.New()
	ran := 0
	app.Get("/orders", m.Required(paseto.WithScopes("orders:read")), func(c fiber.Ctx) error {
		ran++
		return c.SendStatus(fiber.StatusOK)
	})
	get := func(tok string) *http.Response {
		resp, err := app.Test(pasetotest.Bearer(httptest.NewRequest("GET", "/orders", nil), tok), fiber.TestConfig{Timeout: 0})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	tok := kit.AccessToken(t, "alice", pasetotest.Scopes("orders:read"))
	for _, fault := range []pasetotest.Fault{pasetotest.Unavailable, pasetotest.Hang, pasetotest.Corrupt} {
		kit.Store.Set(fault)
		if resp := get(tok); resp.StatusCode != fiber.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("fault %d: status %d, Retry-After %q", fault, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	kit.Store.Set(pasetotest.NoFault)
	if resp := get(tok); resp.StatusCode != fiber.StatusOK || ran != 1 {
		t.Errorf("healed: status %d, handler ran %d times, want once", resp.StatusCode, ran)
	}
	if n := kit.Store.Calls(pasetotest.OpSessionLive); n != 4 {
		t.Errorf("%d session lookups, want 4", n)
	}
}
