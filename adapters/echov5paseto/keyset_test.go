package echov5paseto_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/pasetoauth/pasetoauth/adapters/echov5paseto"
	"github.com/pasetoauth/pasetoauth/adapters/internal/adaptertest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestKeySetHandler(t *testing.T) {
	adaptertest.CheckKeySet(t, func(g *paseto.Guard) adaptertest.Do {
		e := echo.New()
		e.GET(paseto.KeySetPath, echov5paseto.New(g, echov5paseto.Config{}).KeySetHandler())
		return func(req *http.Request) *http.Response {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			return w.Result()
		}
	})
}
