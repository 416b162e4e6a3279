package ginpaseto_test

// Examples quoted by docs/claims.md and docs/errors.md.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/pasetoauth/pasetoauth/adapters/ginpaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// member is a row of the application's user table in the examples below.
// The ID never changes; the username and the role may.
type member struct {
	ID, Username, Name, Role string
	Teams                    []string
}

// profile is what the examples put in the "profile" custom claim.
type profile struct {
	Name  string   `json:"name"`
	Teams []string `json:"teams"`
}

// tokenClaims are the custom claims of a member's access tokens.
func tokenClaims(m *member) map[string]any {
	return map[string]any{"role": m.Role, "profile": profile{Name: m.Name, Teams: m.Teams}}
}

// Custom claims end to end: the login makes the user's ID the subject and
// puts the role and a profile in custom claims, a handler reads them back
// typed, and Config.OnRefresh brings them up to date at every refresh.
func ExampleClaims() {
	members := map[string]*member{ // by ID; a real app has a database
		"u-1001": {ID: "u-1001", Username: "alice", Name: "Alice Liddell", Role: "editor", Teams: []string{"docs"}},
	}
	byUsername := map[string]*member{"alice": members["u-1001"]}

	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh,
		// Every refresh reads the user again: a new role reaches the next
		// access token, a deleted user's session ends.
		OnRefresh: func(ctx context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
			m, ok := members[c.Subject] // c.Subject is the user ID
			if !ok {
				return paseto.RefreshUpdate{}, fmt.Errorf("%w: no such user", paseto.ErrRefreshDenied)
			}
			return paseto.RefreshUpdate{Claims: tokenClaims(m)}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := ginpaseto.New(guard, ginpaseto.Config{})

	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		// Check the credentials here; the username finds the user, the
		// subject is their ID.
		u := byUsername["alice"]
		pair, err := auth.Login(c.Request.Context(), u.ID, paseto.LoginOptions{Claims: tokenClaims(u)})
		if err != nil {
			ginpaseto.DefaultErrorHandler(c, guard.ProblemFor(err, nil), err)
			return
		}
		c.JSON(http.StatusOK, pair)
	})
	r.GET("/me", m.Required(), func(c *gin.Context) {
		claims, _ := ginpaseto.Claims(c) // always there behind Required
		role, err := paseto.Claim[string](claims, "role")
		if err != nil { // paseto.ErrClaimNotFound: a token minted without it
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		var p profile
		if err := claims.Get("profile", &p); err != nil {
			c.AbortWithStatus(http.StatusForbidden)
			return
		}
		c.JSON(http.StatusOK, gin.H{"user_id": claims.Subject, "name": p.Name, "role": role, "teams": p.Teams})
	})
	r.POST("/refresh", m.RefreshHandler())

	// Drive it as a client would.
	send := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	var pair paseto.TokenPair
	_ = json.Unmarshal(send("POST", "/login", "").Body.Bytes(), &pair)
	fmt.Println(strings.TrimSpace(send("GET", "/me", pair.AccessToken).Body.String()))

	members["u-1001"].Role = "admin" // promoted: the next refresh says so
	var next paseto.TokenPair
	_ = json.Unmarshal(send("POST", "/refresh", pair.RefreshToken).Body.Bytes(), &next)
	fmt.Println(strings.TrimSpace(send("GET", "/me", next.AccessToken).Body.String()))

	delete(members, "u-1001") // deleted: the next refresh ends the session
	fmt.Println(send("POST", "/refresh", next.RefreshToken).Code, send("GET", "/me", next.AccessToken).Code)
	// Output:
	// {"name":"Alice Liddell","role":"editor","teams":["docs"],"user_id":"u-1001"}
	// {"name":"Alice Liddell","role":"admin","teams":["docs"],"user_id":"u-1001"}
	// 401 401
}

// A custom error handler: the application's own error body (here RFC 9457
// problem details) instead of the default one. The adapter has set the
// WWW-Authenticate challenge and Retry-After on the response before the
// handler runs, so writing a body keeps them.
func ExampleConfig_errorHandler() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	logger := slog.New(slog.DiscardHandler)

	m := ginpaseto.New(guard, ginpaseto.Config{
		ErrorHandler: func(c *gin.Context, p paseto.Problem, err error) {
			if p.Status >= http.StatusInternalServerError {
				logger.Error("auth failed", "err", err) // err is for logs, never for clients
			}
			// WWW-Authenticate and Retry-After are already set: add a body.
			c.Header("Content-Type", "application/problem+json")
			c.JSON(p.Status, gin.H{"type": "about:blank", "title": p.Body.Message, "status": p.Status, "code": p.Body.Error})
		},
	})

	r := gin.New()
	r.GET("/protected", m.Required(), func(c *gin.Context) { c.Status(http.StatusOK) })

	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer v4.local.garbage")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(w.Header().Get("WWW-Authenticate"))
	fmt.Println(w.Body.String())
	// Output:
	// 401 application/problem+json
	// Bearer realm="api", error="invalid_token", error_description="malformed token"
	// {"code":"malformed_token","status":401,"title":"malformed token","type":"about:blank"}
}
