package httppaseto_test

// Examples quoted by docs/errors.md.

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// A custom error handler: the application's own error body (here RFC 9457
// problem details) instead of the default one. The adapter has set the
// WWW-Authenticate challenge and Retry-After on w before the handler runs,
// so writing a body keeps them.
func ExampleConfig_errorHandler() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	logger := slog.New(slog.DiscardHandler)

	m := httppaseto.New(guard, httppaseto.Config{
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, p paseto.Problem, err error) {
			if p.Status >= http.StatusInternalServerError {
				logger.Error("auth failed", "err", err) // err is for logs, never for clients
			}
			// WWW-Authenticate and Retry-After are already set: add a body.
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(p.Status)
			_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": p.Body.Message, "status": p.Status, "code": p.Body.Error})
		},
	})

	mux := http.NewServeMux()
	mux.Handle("GET /protected", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer v4.local.garbage")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Header().Get("WWW-Authenticate"))
	fmt.Println(strings.TrimSpace(w.Body.String()))
	// Output:
	// 401 application/problem+json
	// Bearer realm="api", error="invalid_token", error_description="malformed token"
	// {"code":"malformed_token","status":401,"title":"malformed token","type":"about:blank"}
}
