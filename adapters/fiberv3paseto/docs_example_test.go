package fiberv3paseto_test

// Examples quoted by docs/errors.md.

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"github.com/gofiber/fiber/v3"
	"github.com/pasetoauth/pasetoauth/adapters/fiberv3paseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// A custom error handler: the application's own error body (here RFC 9457
// problem details), written by the handler itself, which returns what the
// write returns. The adapter has set the WWW-Authenticate challenge and
// Retry-After on the response before the handler runs, so writing a body
// keeps them.
func ExampleConfig_errorHandler() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	logger := slog.New(slog.DiscardHandler)

	m := fiberv3paseto.New(guard, fiberv3paseto.Config{
		ErrorHandler: func(c fiber.Ctx, p paseto.Problem, err error) error {
			if p.Status >= fiber.StatusInternalServerError {
				logger.Error("auth failed", "err", err) // err is for logs, never for clients
			}
			// WWW-Authenticate and Retry-After are already set: add a body.
			return c.Status(p.Status).JSON(fiber.Map{"type": "about:blank", "title": p.Body.Message, "status": p.Status, "code": p.Body.Error}, "application/problem+json")
		},
	})

	app := fiber.New()
	app.Get("/protected", m.Required(), func(c fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })

	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer v4.local.garbage")
	resp, _ := app.Test(req, fiber.TestConfig{Timeout: 0})
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	fmt.Println(resp.Header.Get("WWW-Authenticate"))
	fmt.Println(string(body))
	// Output:
	// 401 application/problem+json
	// Bearer realm="api", error="invalid_token", error_description="malformed token"
	// {"code":"malformed_token","status":401,"title":"malformed token","type":"about:blank"}
}
