package echov5paseto_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
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
	m := echov5paseto.New(guard, echov5paseto.Config{})

	e := echo.New()
	e.POST("/login", func(c *echo.Context) error {
		// Check the user's credentials here, then:
		pair, err := auth.Login(c.Request().Context(), "alice", paseto.LoginOptions{})
		if err != nil {
			// The Guard's answer: 403 too_many_sessions at a session cap,
			// 503 with Retry-After when the store cannot answer.
			return echov5paseto.DefaultErrorHandler(c, guard.ProblemFor(err, nil), err)
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.JSON(http.StatusOK, pair)
	})
	e.GET("/protected", func(c *echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"user": echov5paseto.Subject(c)})
	}, m.Required())
	e.POST("/fresh", func(c *echo.Context) error { return c.NoContent(http.StatusOK) }, m.FreshRequired())
	e.POST("/refresh", m.RefreshHandler())
	e.POST("/logout", m.LogoutHandler())

	// Drive it as a client would.
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("POST", "/login", nil))
	var pair paseto.TokenPair
	_ = json.Unmarshal(w.Body.Bytes(), &pair)

	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	w = httptest.NewRecorder()
	e.ServeHTTP(w, req)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))

	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/protected", nil))
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
	// Output:
	// 200 {"user":"alice"}
	// 401 Bearer realm="api" {"error":"missing_token","message":"no token"}
}

// The app's HTTPErrorHandler sees the rejection: echo.StatusCode gives the
// status, errors.As finds the *echo.HTTPError and the *Error with the whole
// Problem, errors.Is finds the paseto sentinel.
func ExampleError() {
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	m := echov5paseto.New(guard, echov5paseto.Config{})

	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		var he *echo.HTTPError     // Code and Message, wrapping the cause
		var pe *echov5paseto.Error // the whole Problem
		if errors.As(err, &he) && errors.As(err, &pe) {
			fmt.Println(echo.StatusCode(err), he.Message, pe.Problem.Body.Error, errors.Is(err, paseto.ErrMissingToken))
		}
		echo.DefaultHTTPErrorHandler(false)(c, err)
	}
	e.GET("/protected", func(c *echo.Context) error { return c.NoContent(http.StatusOK) }, m.Required())

	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/protected", nil))
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// 401 no token missing_token true
	// 401 {"error":"missing_token","message":"no token"}
}
