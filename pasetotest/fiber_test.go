package pasetotest_test

// The framework tests, one a file: each tests an app's handler behind the
// adapter's middleware the framework's own way. docs/testing.md quotes them.

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// fiber v2: a cookie session through app.Test; the CSRF header is what
// tells the page's requests from a cross-site form's.
func TestFiberCart(t *testing.T) {
	kit := pasetotest.New(t, pasetotest.Config{})
	m := fiberpaseto.New(kit.Guard, fiberpaseto.Config{})
	app := fiber.New()
	app.Post("/cart", m.Required(), func(c *fiber.Ctx) error {
		return c.SendString("added for " + fiberpaseto.Subject(c))
	})
	app.Post("/auth/logout", m.LogoutHandler())

	cs := kit.CookieLogin(t, "alice")
	resp, err := app.Test(cs.Apply(httptest.NewRequest("POST", "/cart", nil)), -1)
	if err != nil || resp.StatusCode != fiber.StatusOK {
		t.Fatalf("cookie session: %v, status %d", err, resp.StatusCode)
	}
	forged := cs.Apply(httptest.NewRequest("POST", "/cart", nil))
	forged.Header.Del("X-CSRF-Token") // a cross-site form sends the cookies only
	if resp, err := app.Test(forged, -1); err != nil || resp.StatusCode != fiber.StatusForbidden {
		t.Errorf("without the CSRF header: %v, status %d", err, resp.StatusCode)
	}
	resp, err = app.Test(cs.Apply(httptest.NewRequest("POST", "/auth/logout", nil)), -1)
	if err != nil || resp.StatusCode != fiber.StatusNoContent {
		t.Fatalf("logout: %v, status %d", err, resp.StatusCode)
	}
	cs.Update(resp.Header)
	if len(cs.Cookies) != 0 {
		t.Errorf("after logout the browser keeps %v", cs.Cookies)
	}
}
