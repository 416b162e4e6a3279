package echov5paseto_test

// Examples quoted by docs/errors.md.

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// A custom error handler: the application's own error body (here RFC 9457
// problem details), written by the handler itself, which then returns nil.
// The adapter has set the WWW-Authenticate challenge and Retry-After on
// the response before the handler runs, so writing a body keeps them.
func ExampleConfig_errorHandler() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	logger := slog.New(slog.DiscardHandler)

	m := echov5paseto.New(guard, echov5paseto.Config{
		ErrorHandler: func(c *echo.Context, p paseto.Problem, err error) error {
			if p.Status >= http.StatusInternalServerError {
				logger.Error("auth failed", "err", err) // err is for logs, never for clients
			}
			// WWW-Authenticate and Retry-After are already set: add a body.
			c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
			return c.JSON(p.Status, map[string]any{"type": "about:blank", "title": p.Body.Message, "status": p.Status, "code": p.Body.Error})
		},
	})

	e := echo.New()
	e.GET("/protected", func(c *echo.Context) error { return c.NoContent(http.StatusOK) }, m.Required())

	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer v4.local.garbage")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Header().Get("WWW-Authenticate"))
	fmt.Println(strings.TrimSpace(w.Body.String()))
	// Output:
	// 401 application/problem+json
	// Bearer realm="api", error="invalid_token", error_description="malformed token"
	// {"code":"malformed_token","status":401,"title":"malformed token","type":"about:blank"}
}
