package fiberpaseto_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"

	"github.com/gofiber/fiber/v2"
	"github.com/pasetoauth/pasetoauth/adapters/fiberpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// The quick start: login, a protected route, a fresh-only route, refresh
// and logout.
func Example() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()) // production: paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := fiberpaseto.New(guard, fiberpaseto.Config{})

	app := fiber.New()
	app.Post("/login", func(c *fiber.Ctx) error {
		// Check the user's credentials here, then:
		pair, err := auth.Login(c.UserContext(), "alice", paseto.LoginOptions{})
		if err != nil {
			// The Guard's answer: 403 too_many_sessions at a session cap,
			// 503 with Retry-After when the store cannot answer.
			return fiberpaseto.DefaultErrorHandler(c, guard.ProblemFor(err, nil), err)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(pair)
	})
	app.Get("/protected", m.Required(), func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"user": fiberpaseto.Subject(c)})
	})
	app.Post("/fresh", m.FreshRequired(), func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
	app.Post("/refresh", m.RefreshHandler())
	app.Post("/logout", m.LogoutHandler())

	// Drive it as a client would.
	pair, _ := auth.Login(context.Background(), "alice", paseto.LoginOptions{})
	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	resp, _ := app.Test(req, -1)
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))

	req = httptest.NewRequest("POST", "/logout", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	resp, _ = app.Test(req, -1)
	fmt.Println(resp.StatusCode)

	req = httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	resp, _ = app.Test(req, -1)
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 {"user":"alice"}
	// 204
	// 401 {"error":"revoked_token","message":"token has been revoked"}
}
