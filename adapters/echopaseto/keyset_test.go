package echopaseto_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pasetoauth/pasetoauth/adapters/echopaseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestKeySetHandler(t *testing.T) {
	adaptertest.CheckKeySet(t, func(g *paseto.Guard) adaptertest.Do {
		e := echo.New()
		e.GET(paseto.KeySetPath, echopaseto.New(g, echopaseto.Config{}).KeySetHandler())
		return func(req *http.Request) *http.Response {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			return w.Result()
		}
	})
}
